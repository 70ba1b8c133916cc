<?php

namespace App\Listeners;

use App\Jobs\StoreEdgeEvents;
use App\Jobs\StoreMachineState;
use App\Services\EdgeEventStore;
use App\Support\LatestStateGate;
use App\Support\MachineSockets;
use Illuminate\Support\Facades\Log;
use Laravel\Reverb\Events\MessageReceived;
use Laravel\Reverb\Protocols\Pusher\EventDispatcher;

/**
 * Runs inside `php artisan reverb:start`, for every frame any client sends. Keeps the edge's
 * durable client events and queues their storage: a broadcast from here would be an HTTP
 * call from Reverb's event loop to Reverb itself, and must wait for the queue worker.
 * Status, health and timezone sent as client events are relayed to their public channels
 * in-process (Reverb's own dispatcher, no HTTP) and kept, when LatestStateGate says so.
 *
 * Registered by Laravel's event discovery (app/Listeners); do not also Event::listen() it.
 */
class StoreEdgeClientEvents
{
    /** Wire name of a durable client event => its type (src/rvm_common/rvm_common/schemas/<type>.json). */
    public const DURABLE_CLIENT_EVENTS = [
        'client-detection-completed' => 'detection-completed',
        'client-session-completed' => 'session-completed',
        'client-processing-updated' => 'processing-updated',   // status failed only: no verdict
    ];

    /** Wire name of a latest-state client event => [machine_states kind, public channel, event]. */
    public const LATEST_CLIENT_EVENTS = [
        'client-status-updated' => ['status', 'rvm-status', 'status-updated'],
        'client-health-updated' => ['health', 'rvm-status', 'health-updated'],
        'client-timezone-synced' => ['timezone', 'timezone-updates', 'timezone-synced'],
    ];

    /** private-rvm.{rvm_id}, rvm_id as src/rvm_common/rvm_common/schemas/envelope.json allows it. */
    public const CHANNEL_PATTERN = '/^private-rvm\.([A-Za-z0-9_-]{1,64})$/';

    public function handle(MessageReceived $event): void
    {
        // $event->message is the frame's raw JSON text; decoded to objects so {} stays {}.
        $frame = json_decode($event->message);
        $name = is_object($frame) ? ($frame->event ?? null) : null;
        if (! is_string($name) || (! array_key_exists($name, self::DURABLE_CLIENT_EVENTS)
            && ! array_key_exists($name, self::LATEST_CLIENT_EVENTS))) {
            return;   // pusher:ping, pusher:subscribe, client-manual-sync, ...
        }
        $channel = is_string($frame->channel ?? null) ? $frame->channel : '';
        if (! preg_match(self::CHANNEL_PATTERN, $channel, $match)) {
            return;
        }
        if ($event->connection->app()->acceptClientEventsFrom() === 'none') {
            return;   // Reverb answered pusher:error 4301; the edge keeps the event and retries
        }
        $rvmId = $match[1];
        $socketId = $event->connection->id();
        if (MachineSockets::machineOf($socketId) !== $rvmId) {
            Log::warning("rvm-edge: {$name} on {$channel} from socket {$socketId}, which Laravel did not "
                ."authorize as machine {$rvmId} (or the cache store is not shared with reverb:start); "
                .'closing it: the edge re-authorizes and re-sends');
            $event->connection->disconnect();

            return;
        }
        // The edge may send data as an object or as a JSON string (Pusher style): both are stored.
        $data = $frame->data ?? null;
        $json = is_string($data) ? $data : json_encode($data, EdgeEventStore::JSON_FLAGS);
        if (array_key_exists($name, self::LATEST_CLIENT_EVENTS)) {
            $this->relayAndKeep($event, $rvmId, self::LATEST_CLIENT_EVENTS[$name], $json);

            return;
        }
        MachineSockets::remember($socketId, $rvmId);
        StoreEdgeEvents::dispatch($rvmId, [$json]);
    }

    /**
     * Relay a machine's status, health or timezone to dashboards (every one, heartbeats too)
     * and queue its storage when it is new to this process, a change, or (health) a minute on.
     *
     * @param  array{0: string, 1: string, 2: string}  $route  [kind, public channel, event]
     */
    private function relayAndKeep(MessageReceived $event, string $rvmId, array $route, string $json): void
    {
        [$kind, $channel, $name] = $route;
        $payload = json_decode($json);
        if (! is_object($payload)) {
            Log::warning("rvm-edge: {$name} of machine {$rvmId} is not a JSON object; not relayed");

            return;
        }
        // data stays the edge's JSON text (Pusher style), so an empty {} reaches dashboards as {}
        EventDispatcher::dispatch($event->connection->app(), ['event' => $name, 'channel' => $channel, 'data' => $json]);
        $heartbeat = ($payload->heartbeat ?? false) === true;
        if (LatestStateGate::shouldStore($rvmId, $kind, $heartbeat, now()->getTimestamp())) {
            MachineSockets::remember($event->connection->id(), $rvmId);
            StoreMachineState::dispatch($rvmId, $kind, $json);
        }
    }
}
