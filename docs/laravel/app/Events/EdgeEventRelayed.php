<?php

namespace App\Events;

use Illuminate\Broadcasting\Channel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcast;

/**
 * A newly stored durable event, re-broadcast unchanged on the public detection-results
 * channel for dashboards (detection-completed or session-completed). Queued: a Reverb
 * outage never undoes or delays the storage and the acknowledgement.
 */
class EdgeEventRelayed implements ShouldBroadcast
{
    /**
     * A broadcast that fails while Reverb is down is retried for about 9 minutes (Laravel's
     * queued BroadcastEvent takes $tries and $backoff from the event); after that it is in
     * failed_jobs (`php artisan queue:retry all`), and dashboards catch up from §3.17 anyway.
     */
    public int $tries = 12;

    /** @var list<int> seconds before the 2nd, 3rd, 4th and every later try */
    public array $backoff = [5, 10, 30, 60];

    /**
     * @param  string  $type  one of App\Services\EdgeEventStore::DURABLE_TYPES
     * @param  string  $json  the event as the edge sent it
     */
    public function __construct(public string $type, public string $json)
    {
    }

    public function broadcastOn(): array
    {
        return [new Channel('detection-results')];
    }

    public function broadcastAs(): string
    {
        return $this->type;
    }

    public function broadcastWith(): array
    {
        // Decoded to objects, not arrays, so an empty {} stays {} on the wire (an array would become []).
        return (array) json_decode($this->json);
    }
}
