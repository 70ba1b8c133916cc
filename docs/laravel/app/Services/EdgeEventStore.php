<?php

namespace App\Services;

use App\Events\EdgeEventRelayed;
use App\Models\Detection;
use App\Models\Machine;
use App\Models\RvmEvent;
use Carbon\CarbonImmutable;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Log;
use Throwable;

/**
 * Stores a machine's durable events once by event_id and relays new ones to dashboards.
 * Used by both delivery paths: client events (App\Jobs\StoreEdgeEvents) and the api
 * transport (App\Http\Controllers\EdgeEventsController).
 */
class EdgeEventStore
{
    /** Durable event types; each has src/rvm_common/rvm_common/schemas/<type>.json. */
    public const DURABLE_TYPES = ['detection-completed', 'session-completed', 'processing-updated'];

    /** event_id as src/rvm_common/rvm_common/schemas/envelope.json allows it (a UUID4 by default). */
    public const EVENT_ID_PATTERN = '/^[A-Za-z0-9._:-]{8,128}$/';

    /** How event JSON is re-encoded: as close to the edge's bytes as PHP gets. */
    public const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION;

    /**
     * Store each event (a JSON object text) unless it is stored already.
     *
     * @param  list<string>  $payloads
     * @return array{stored: list<string>, rejected: list<array{event_id: ?string, reason: string}>}
     *         stored: event_ids now in the database (stored by this call or before), to acknowledge
     */
    public function store(Machine $machine, array $payloads): array
    {
        $stored = [];
        $rejected = [];
        foreach ($payloads as $json) {
            $p = json_decode($json, true);
            $problem = $this->problem($machine, $p);
            if ($problem !== null) {
                $eventId = is_array($p) && is_string($p['event_id'] ?? null) ? $p['event_id'] : null;
                $rejected[] = ['event_id' => $eventId, 'reason' => $problem];
                Log::warning("rvm-edge: event {$eventId} from machine {$machine->code} not stored: {$problem}");

                continue;
            }
            if ($this->insert($machine, $p, $json)) {
                broadcast(new EdgeEventRelayed($p['type'], $json));
            }
            $stored[] = $p['event_id'];
        }

        return ['stored' => $stored, 'rejected' => $rejected];
    }

    /**
     * Why this payload cannot be stored for this machine, or null when it can.
     */
    private function problem(Machine $machine, mixed $p): ?string
    {
        if (! is_array($p) || array_is_list($p)) {
            return 'not a JSON object';
        }
        if (! in_array($p['type'] ?? null, self::DURABLE_TYPES, true)) {
            return 'type '.json_encode($p['type'] ?? null).' is not a durable event type';
        }
        if (($p['version'] ?? null) !== 1) {
            return 'version '.json_encode($p['version'] ?? null).' is not 1';
        }
        if (! is_string($p['event_id'] ?? null) || ! preg_match(self::EVENT_ID_PATTERN, $p['event_id'])) {
            return 'event_id missing or malformed';
        }
        if (($p['rvm_id'] ?? null) !== $machine->code) {
            return 'rvm_id '.json_encode($p['rvm_id'] ?? null)." is not this machine's code {$machine->code}";
        }

        return null;
    }

    /**
     * Insert the event (and its detection row); true when this call stored it.
     */
    private function insert(Machine $machine, array $p, string $json): bool
    {
        $now = now();

        return DB::transaction(function () use ($machine, $p, $json, $now): bool {
            $inserted = RvmEvent::query()->insertOrIgnore([
                'event_id' => $p['event_id'],
                'machine_id' => $machine->id,
                'rvm_id' => $p['rvm_id'],
                'type' => $p['type'],
                'outbox_id' => $this->text($p['outbox_id'] ?? null, 64),
                'seq' => is_int($p['seq'] ?? null) ? $p['seq'] : null,
                'edge_timestamp' => $this->time($p['timestamp'] ?? null),
                'truncated' => ($p['truncated'] ?? false) === true,
                'payload' => $json,
                'created_at' => $now,
                'updated_at' => $now,
            ]) > 0;
            if ($inserted && $p['type'] === 'detection-completed') {
                Detection::query()->insertOrIgnore([
                    'event_id' => $p['event_id'],
                    'machine_id' => $machine->id,
                    'item_id' => $this->text($p['item_id'] ?? null, 128),
                    'session_id' => $this->text($p['session_id'] ?? null, 128),
                    'category' => $this->text($p['category'] ?? null, 64),
                    'class_name' => $this->text($p['class_name'] ?? null, 128),
                    'accepted' => is_bool($p['accepted'] ?? null) ? $p['accepted'] : null,
                    'reason' => $this->text($p['reason'] ?? null, 64),
                    'confidence' => is_int($p['confidence'] ?? null) || is_float($p['confidence'] ?? null)
                        ? (float) $p['confidence'] : null,
                    'captured_at' => $this->time($p['capture_time'] ?? null),
                    'truncated' => ($p['truncated'] ?? false) === true,
                    'created_at' => $now,
                    'updated_at' => $now,
                ]);
            }

            return $inserted;
        });
    }

    private function text(mixed $value, int $max): ?string
    {
        return is_string($value) ? mb_substr($value, 0, $max) : null;
    }

    /**
     * An edge time (ISO 8601, UTC "Z") as a UTC database time with milliseconds, or null.
     */
    private function time(mixed $value): ?string
    {
        if (! is_string($value)) {
            return null;
        }
        try {
            return CarbonImmutable::parse($value)->utc()->format('Y-m-d H:i:s.v');
        } catch (Throwable) {
            return null;
        }
    }
}
