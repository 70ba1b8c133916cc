<?php
// Minimal stand-ins for the Laravel / Reverb / Sanctum classes that docs/laravel's storage path
// touches, so tests/test_laravel_guide.py can run the guide's own listener, job and store with
// Debian's php-cli (no Composer, no framework). Each fake records what the code did in Fake::$log.
// Loaded with: require 'laravel_fakes.php'; then the App\ classes autoload from docs/laravel/app.

namespace {
    final class Fake
    {
        /** @var array<string, list<mixed>> */
        public static array $log = [];
        /** @var array<string, array<string, array<string, mixed>>> table => key => row */
        public static array $tables = [];
        /** @var array<string, mixed> */
        public static array $cache = [];
        /** @var array<string, mixed> the current HTTP request's input */
        public static array $request = [];
        /** @var array<string, \Closure> Broadcast::channel() registrations */
        public static array $channels = [];
        /** what User::can() answers */
        public static bool $allow = false;

        public static function record(string $what, mixed $value): void
        {
            self::$log[$what][] = $value;
        }
    }

    spl_autoload_register(function (string $class): void {
        if (str_starts_with($class, 'App\\')) {
            $path = getenv('LARAVEL_DOCS').'/app/'.str_replace('\\', '/', substr($class, 4)).'.php';
            if (is_file($path)) {
                require $path;
            }
        }
    });

    if (! function_exists('mb_substr')) {
        function mb_substr(string $s, int $start, ?int $length = null): string
        {
            return substr($s, $start, $length);
        }
    }

    function now(): Carbon\CarbonImmutable
    {
        return new Carbon\CarbonImmutable('2026-11-30T10:00:00Z');
    }

    function request(): object
    {
        return new class
        {
            public function input(string $key): mixed
            {
                return Fake::$request[$key] ?? null;
            }
        };
    }

    /** abort()/abort_if()/abort_unless(): Laravel throws an HttpException; the fake throws this. */
    final class FakeAbort extends RuntimeException
    {
    }

    function abort_if(bool $condition, int $code, string $message = ''): void
    {
        if ($condition) {
            throw new FakeAbort($message, $code);
        }
    }

    function abort_unless(bool $condition, int $code, string $message = ''): void
    {
        abort_if(! $condition, $code, $message);
    }

    function response(): object
    {
        return new class
        {
            public function json(mixed $data, int $status = 200): Illuminate\Http\JsonResponse
            {
                return new Illuminate\Http\JsonResponse($data, $status);
            }
        };
    }

    function broadcast(object $event): void
    {
        Fake::record('broadcast', [
            'class' => (new ReflectionClass($event))->getShortName(),
            'as' => $event->broadcastAs(),
            'on' => array_map(fn ($c) => $c->name, $event->broadcastOn()),
            'with' => json_encode($event->broadcastWith(), JSON_UNESCAPED_SLASHES),
        ]);
    }
}

namespace Carbon {
    class CarbonImmutable extends \DateTimeImmutable
    {
        public static function parse(string $value): static
        {
            return new static($value);
        }

        public function utc(): static
        {
            return $this->setTimezone(new \DateTimeZone('UTC'));
        }

        public function addDays(int $days): static
        {
            return $this->modify("+{$days} days");
        }
    }
}

namespace Illuminate\Support\Facades {
    class Log
    {
        public static function warning(string $message): void
        {
            \Fake::record('warning', $message);
        }
    }

    class Cache
    {
        public static function put(string $key, mixed $value, mixed $ttl = null): void
        {
            \Fake::$cache[$key] = $value;
        }

        public static function get(string $key): mixed
        {
            return \Fake::$cache[$key] ?? null;
        }
    }

    class Broadcast
    {
        public static function channel(string $pattern, \Closure $callback): void
        {
            \Fake::$channels[$pattern] = $callback;
        }
    }

    class DB
    {
        public static function transaction(\Closure $callback): mixed
        {
            return $callback();
        }
    }
}

namespace Illuminate\Http {
    class JsonResponse
    {
        public function __construct(public mixed $data, public int $status)
        {
        }
    }

    /** The request: its user, its input (validate() returns the keys its rules name) and raw body. */
    class Request
    {
        public function __construct(private mixed $user, private array $input = [], private string $content = '')
        {
        }

        public function user(): mixed
        {
            return $this->user;
        }

        public function validate(array $rules): array
        {
            return array_intersect_key($this->input, $rules);
        }

        public function getContent(): string
        {
            return $this->content;
        }
    }
}

namespace Illuminate\Support {
    class Str
    {
        public static function uuid(): string
        {
            return '00000000-0000-4000-8000-000000000000';
        }
    }
}

namespace Illuminate\Validation {
    class Rule
    {
        public static function in(array $values): string
        {
            return 'in:'.implode(',', $values);
        }
    }
}

namespace App\Http\Controllers {
    abstract class Controller
    {
    }
}

namespace Illuminate\Broadcasting {
    class Channel
    {
        public function __construct(public string $name)
        {
        }
    }

    class PrivateChannel extends Channel
    {
        public function __construct(string $name)
        {
            parent::__construct('private-'.$name);
        }
    }
}

namespace Illuminate\Contracts\Broadcasting {
    interface ShouldBroadcast
    {
    }

    interface ShouldBroadcastNow extends ShouldBroadcast
    {
    }
}

namespace Illuminate\Contracts\Queue {
    interface ShouldQueue
    {
    }
}

namespace Illuminate\Foundation\Queue {
    trait Queueable
    {
        public static function dispatch(...$arguments): void
        {
            \Fake::record('dispatch', new static(...$arguments));
        }
    }
}

namespace Illuminate\Database\Eloquent\Relations {
    class BelongsTo
    {
    }

    class HasMany
    {
    }
}

namespace Illuminate\Database\Eloquent {
    /**
     * A table in Fake::$tables: rows unique by event_id (rvm_events, detections), by code
     * (machines, Model rows) or by "machine_id kind" (machine_states, upsert).
     */
    class FakeQuery
    {
        private ?string $orderBy = null;

        private ?int $limit = null;

        /** @param  list<array{0: string, 1: mixed}>  $where */
        public function __construct(private string $table, private array $where = [])
        {
        }

        public function where(string $column, mixed $value): static
        {
            $this->where[] = [$column, $value];

            return $this;
        }

        public function orderByDesc(string $column): static
        {
            $this->orderBy ??= $column;   // the first order decides in the fake

            return $this;
        }

        public function limit(int $limit): static
        {
            $this->limit = $limit;

            return $this;
        }

        public function insertOrIgnore(array $row): int
        {
            $key = $row['event_id'];
            if (isset(\Fake::$tables[$this->table][$key])) {
                return 0;
            }
            \Fake::$tables[$this->table][$key] = $row;

            return 1;
        }

        public function upsert(array $rows, array $uniqueBy, array $update): int
        {
            foreach ($rows as $row) {
                $key = implode(' ', array_map(fn ($c) => $row[$c], $uniqueBy));
                $old = \Fake::$tables[$this->table][$key] ?? null;
                \Fake::$tables[$this->table][$key] = $old === null
                    ? $row : array_merge($old, array_intersect_key($row, array_flip($update)));
                \Fake::record('upsert', [$this->table, $key]);
            }

            return count($rows);
        }

        public function first(): ?Model
        {
            $row = $this->rows()[0] ?? null;

            return $row === null || $row instanceof Model ? $row : new Model($row);
        }

        public function pluck(string $column, ?string $key = null): object
        {
            $values = [];
            foreach ($this->rows() as $row) {
                $row = $row instanceof Model ? $row->attributes : $row;
                $key === null ? $values[] = $row[$column] : $values[$row[$key]] = $row[$column];
            }

            return new class($values)
            {
                public function __construct(private array $values)
                {
                }

                public function all(): array
                {
                    return $this->values;
                }
            };
        }

        /** @return list<Model|array<string, mixed>> */
        private function rows(): array
        {
            $rows = [];
            foreach (\Fake::$tables[$this->table] ?? [] as $row) {
                $attributes = $row instanceof Model ? $row->attributes : $row;
                foreach ($this->where as [$column, $value]) {
                    if (($attributes[$column] ?? null) !== $value) {
                        continue 2;
                    }
                }
                $rows[] = $row;
            }
            if ($this->orderBy !== null) {
                $column = $this->orderBy;
                $of = fn ($r) => ($r instanceof Model ? $r->attributes : $r)[$column] ?? null;
                usort($rows, fn ($a, $b) => $of($b) <=> $of($a));
            }

            return $this->limit === null ? $rows : array_slice($rows, 0, $this->limit);
        }
    }

    class Model
    {
        protected $fillable = [];

        protected $guarded = [];

        public array $attributes = [];

        public function __construct(array $attributes = [])
        {
            $this->attributes = $attributes;
        }

        public function __get(string $key): mixed
        {
            return $this->attributes[$key] ?? null;
        }

        public static function table(): string
        {
            return static::class;
        }

        public static function query(): FakeQuery
        {
            return new FakeQuery(static::table());
        }

        public static function where(string $column, mixed $value): FakeQuery
        {
            return new FakeQuery(static::table(), [[$column, $value]]);
        }
    }
}

namespace Illuminate\Foundation\Auth {
    class User extends \Illuminate\Database\Eloquent\Model
    {
        public function can(string $ability, mixed $arguments = []): bool
        {
            \Fake::record('can', [$ability, $arguments]);

            return \Fake::$allow;
        }
    }
}

namespace Illuminate\Database\Eloquent\Factories {
    trait HasFactory
    {
    }
}

namespace Illuminate\Notifications {
    trait Notifiable
    {
    }
}

namespace Laravel\Sanctum {
    trait HasApiTokens
    {
        /** @var list<string> the abilities of the token the request came with */
        public array $tokenAbilities = [];

        public function tokenCan(string $ability): bool
        {
            return in_array($ability, $this->tokenAbilities, true);
        }
    }
}

namespace Laravel\Reverb {
    class Application
    {
        public function __construct(private string $acceptClientEventsFrom)
        {
        }

        public function acceptClientEventsFrom(): string
        {
            return $this->acceptClientEventsFrom;
        }
    }
}

namespace Laravel\Reverb\Contracts {
    class Connection
    {
        public function __construct(private string $socketId, private \Laravel\Reverb\Application $application)
        {
        }

        public function id(): string
        {
            return $this->socketId;
        }

        public function app(): \Laravel\Reverb\Application
        {
            return $this->application;
        }

        public function disconnect(): void
        {
            \Fake::record('disconnect', $this->socketId);
        }
    }
}

namespace Laravel\Reverb\Protocols\Pusher {
    /** Reverb's in-process dispatcher to a channel's subscribers: the fake records the payload. */
    class EventDispatcher
    {
        public static function dispatch(\Laravel\Reverb\Application $app, array $payload, mixed $connection = null): void
        {
            \Fake::record('relay', $payload);
        }
    }
}

namespace Laravel\Reverb\Events {
    class MessageReceived
    {
        public function __construct(public \Laravel\Reverb\Contracts\Connection $connection, public string $message)
        {
        }
    }
}
