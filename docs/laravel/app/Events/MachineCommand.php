<?php

namespace App\Events;

use Illuminate\Broadcasting\PrivateChannel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcastNow;

/**
 * command (src/rvm_common/rvm_common/schemas/command.json) for one machine, on private-rvm.{rvmId}. A server
 * event: the edge never accepts a command sent as a client event (client-command).
 */
class MachineCommand implements ShouldBroadcastNow
{
    /** The commands the edge knows; it counts and ignores any other. */
    public const COMMANDS = ['maintenance_on', 'maintenance_off', 'end_session'];

    /**
     * @param  array<string, mixed>  $args
     */
    public function __construct(
        public string $rvmId,
        public string $command,
        public string $requestedBy,
        public string $requestId,
        public array $args = [],
    ) {
    }

    public function broadcastOn(): array
    {
        return [new PrivateChannel("rvm.{$this->rvmId}")];
    }

    public function broadcastAs(): string
    {
        return 'command';
    }

    public function broadcastWith(): array
    {
        $payload = [
            'command' => $this->command,
            'requested_by' => $this->requestedBy,
            'request_id' => $this->requestId,
        ];
        if ($this->args !== []) {
            $payload['args'] = $this->args;
        }

        return $payload;
    }
}
