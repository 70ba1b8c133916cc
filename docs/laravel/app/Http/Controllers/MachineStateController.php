<?php

namespace App\Http\Controllers;

use App\Models\Machine;
use App\Models\MachineState;
use App\Models\RvmEvent;
use App\Models\User;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

/**
 * GET /api/v2/rvm/{rvmId}/state: what a dashboard missed, from the database. Operators only.
 * The last 50 verdicts (detection-completed, each with its evidence crop as the edge sent it)
 * and the last 20 session summaries, newest first; status, health and timezone are the newest
 * the server keeps (machine_states, App\Jobs\StoreMachineState), null when it keeps none.
 */
class MachineStateController extends Controller
{
    public const VERDICTS = 50;

    public const SESSIONS = 20;

    public function __invoke(Request $request, string $rvmId): JsonResponse
    {
        $user = $request->user();
        abort_unless($user instanceof User, 403, 'A machine token cannot read machine state; use an operator token.');
        abort_unless($user->can('operate-machine', $rvmId), 403, "This token may not read machine {$rvmId}.");
        $machine = Machine::query()->where('code', $rvmId)->first();
        abort_if($machine === null, 404, "No machine {$rvmId}.");
        // kind => JSON text; decoded to objects, so an empty {} is answered as {}
        $kept = MachineState::query()->where('machine_id', $machine->id)->pluck('payload', 'kind')->all();
        $state = fn (string $kind) => is_string($kept[$kind] ?? null) ? json_decode($kept[$kind]) : null;

        return response()->json([
            'rvm_id' => $rvmId,
            'generated_at' => now()->utc()->format('Y-m-d\TH:i:s.v\Z'),
            'status' => $state('status'),
            'health' => $state('health'),
            'timezone' => $state('timezone'),
            'verdicts' => $this->latest($machine, 'detection-completed', self::VERDICTS),
            'sessions' => $this->latest($machine, 'session-completed', self::SESSIONS),
        ]);
    }

    /**
     * The newest stored payloads of one event type, exactly as the edge sent them.
     *
     * @return list<array<string, mixed>>
     */
    private function latest(Machine $machine, string $type, int $limit): array
    {
        return RvmEvent::query()
            ->where('machine_id', $machine->id)
            ->where('type', $type)
            ->orderByDesc('edge_timestamp')
            ->orderByDesc('id')
            ->limit($limit)
            ->pluck('payload')
            ->all();
    }
}
