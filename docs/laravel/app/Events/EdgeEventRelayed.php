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
