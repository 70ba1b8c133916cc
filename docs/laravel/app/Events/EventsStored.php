<?php

namespace App\Events;

use Illuminate\Broadcasting\PrivateChannel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcastNow;

/**
 * The stored-acknowledgement: tells the machine which of its durable events are stored
 * (now or before), so its outbox deletes exactly those rows. Sent on private-rvm.{rvmId}.
 */
class EventsStored implements ShouldBroadcastNow
{
    /**
     * @param  list<string>  $eventIds
     */
    public function __construct(public string $rvmId, public array $eventIds)
    {
    }

    public function broadcastOn(): array
    {
        return [new PrivateChannel("rvm.{$this->rvmId}")];
    }

    public function broadcastAs(): string
    {
        return 'events-stored';
    }

    public function broadcastWith(): array
    {
        return [
            'type' => 'events-stored',
            'version' => 1,
            'rvm_id' => $this->rvmId,
            'event_ids' => $this->eventIds,
        ];
    }
}
