<?php

namespace App\Events;

use Illuminate\Broadcasting\Channel;
use Illuminate\Broadcasting\PrivateChannel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcastNow;

/**
 * manual-sync (src/rvm_common/rvm_common/schemas/manual-sync.json): every machine on timezone-updates, or one
 * machine on private-rvm.{rvmId}. The machine answers with timezone-synced carrying request_id.
 */
class ManualSyncRequested implements ShouldBroadcastNow
{
    public function __construct(
        public ?string $rvmId,
        public ?string $timezone,
        public string $requestedBy,
        public string $requestId,
    ) {
    }

    public function broadcastOn(): array
    {
        return $this->rvmId === null
            ? [new Channel('timezone-updates')]
            : [new PrivateChannel("rvm.{$this->rvmId}")];
    }

    public function broadcastAs(): string
    {
        return 'manual-sync';
    }

    public function broadcastWith(): array
    {
        return array_filter([
            'timezone' => $this->timezone,
            'requested_by' => $this->requestedBy,
            'request_id' => $this->requestId,
        ], fn ($value) => $value !== null);
    }
}
