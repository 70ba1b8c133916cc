<?php

namespace App\Jobs;

use App\Models\Machine;
use App\Models\MachineState;
use Carbon\CarbonImmutable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Queue\Queueable;
use Illuminate\Support\Facades\Log;
use Throwable;

/**
 * Keeps a machine's newest status, health or timezone (one machine_states row per kind,
 * overwritten; an older event queued late never replaces a newer one). Queued by
 * App\Listeners\StoreEdgeClientEvents; read by App\Http\Controllers\MachineStateController.
 */
class StoreMachineState implements ShouldQueue
{
    use Queueable;

    public int $tries = 3;

    public int $backoff = 10;

    /**
     * @param  string  $kind  a key of MachineState::KINDS
     * @param  string  $payload  the event's JSON object text, as the edge sent it
     */
    public function __construct(public string $rvmId, public string $kind, public string $payload)
    {
    }

    public function handle(): void
    {
        $machine = Machine::where('code', $this->rvmId)->first();
        $type = MachineState::KINDS[$this->kind] ?? null;
        $p = json_decode($this->payload, true);
        if ($machine === null || $type === null || ! is_array($p) || ($p['type'] ?? null) !== $type
            || ($p['rvm_id'] ?? null) !== $machine->code) {
            Log::warning("rvm-edge: {$this->kind} of machine {$this->rvmId} not kept: no such machine, "
                .'or not a '.json_encode($type).' event of it');

            return;
        }
        $at = $this->time($p['timestamp'] ?? null);
        $row = MachineState::where('machine_id', $machine->id)->where('kind', $this->kind)->first();
        $kept = $row === null ? null : $this->time($row->edge_timestamp);
        if ($at !== null && $kept !== null && $kept > $at) {
            return;   // a newer one is stored already
        }
        $now = now();
        MachineState::query()->upsert([[
            'machine_id' => $machine->id,
            'kind' => $this->kind,
            'edge_timestamp' => $at?->format('Y-m-d H:i:s.v'),
            'payload' => $this->payload,
            'created_at' => $now,
            'updated_at' => $now,
        ]], ['machine_id', 'kind'], ['edge_timestamp', 'payload', 'updated_at']);
    }

    private function time(mixed $value): ?CarbonImmutable
    {
        if (! is_string($value) || $value === '') {
            return null;
        }
        try {
            return CarbonImmutable::parse($value)->utc();
        } catch (Throwable) {
            return null;
        }
    }
}
