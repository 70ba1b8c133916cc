<?php

namespace App\Jobs;

use App\Events\EventsStored;
use App\Models\Machine;
use App\Services\EdgeEventStore;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Queue\Queueable;
use Illuminate\Support\Facades\Log;

/**
 * Stores durable client events of one machine and acknowledges them with events-stored.
 * Queued by App\Listeners\StoreEdgeClientEvents; runs in `php artisan queue:work`.
 */
class StoreEdgeEvents implements ShouldQueue
{
    use Queueable;

    /** A failed run (database or Reverb down) is retried; the edge also re-sends unacked events. */
    public int $tries = 5;

    public int $backoff = 10;

    /**
     * @param  list<string>  $payloads  JSON object texts, as the edge sent them
     */
    public function __construct(public string $rvmId, public array $payloads)
    {
    }

    public function handle(EdgeEventStore $store): void
    {
        $machine = Machine::where('code', $this->rvmId)->first();
        if ($machine === null) {
            Log::warning("rvm-edge: no machine with code {$this->rvmId}; its events are not stored");

            return;
        }
        $result = $store->store($machine, $this->payloads);
        if ($result['stored'] !== []) {
            broadcast(new EventsStored($machine->code, $result['stored']));
        }
    }
}
