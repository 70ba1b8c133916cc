<?php

namespace App\Http\Controllers;

use App\Events\MachineCommand;
use App\Events\ManualSyncRequested;
use App\Models\Machine;
use App\Models\User;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Str;
use Illuminate\Validation\Rule;

/**
 * What operators (dashboard users with an "rvm:operate" token) ask of machines:
 * a time/timezone sync and commands. Both are server events the edge accepts.
 */
class MachineControlController extends Controller
{
    /**
     * POST /api/v2/rvm/manual-sync {rvm_id?, timezone?, request_id?}: the dashboard's "Manual sync".
     */
    public function manualSync(Request $request): JsonResponse
    {
        $data = $request->validate([
            'rvm_id' => ['nullable', 'string', 'regex:'.Machine::CODE_PATTERN],
            'timezone' => ['nullable', 'string', 'timezone'],
            'request_id' => ['nullable', 'string', 'max:128'],
        ]);
        $rvmId = $data['rvm_id'] ?? null;
        $user = $this->operator($request, $rvmId);
        $requestId = $data['request_id'] ?? (string) Str::uuid();
        broadcast(new ManualSyncRequested($rvmId, $data['timezone'] ?? null, $user->email, $requestId));

        return response()->json(['event' => 'manual-sync', 'rvm_id' => $rvmId, 'request_id' => $requestId], 202);
    }

    /**
     * POST /api/v2/rvm/{rvmId}/commands {command, args?, request_id?}
     */
    public function command(Request $request, string $rvmId): JsonResponse
    {
        $data = $request->validate([
            'command' => ['required', 'string', Rule::in(MachineCommand::COMMANDS)],
            'args' => ['sometimes', 'array'],
            'request_id' => ['nullable', 'string', 'max:128'],
        ]);
        $user = $this->operator($request, $rvmId);
        $args = $data['args'] ?? [];
        abort_if($args !== [] && array_is_list($args), 422, 'args must be a JSON object.');
        $requestId = $data['request_id'] ?? (string) Str::uuid();
        broadcast(new MachineCommand($rvmId, $data['command'], $user->email, $requestId, $args));

        return response()->json(['event' => 'command', 'rvm_id' => $rvmId, 'request_id' => $requestId], 202);
    }

    /**
     * The operator making the request; 403 for a machine token or a user the gate refuses.
     */
    private function operator(Request $request, ?string $rvmId): User
    {
        $user = $request->user();
        abort_unless($user instanceof User, 403, 'A machine token cannot request syncs or commands; use an operator token.');
        abort_unless($user->can('operate-machine', $rvmId), 403, $rvmId === null
            ? 'This token may not operate the machines (ability rvm:operate).'
            : "This token may not operate machine {$rvmId}, or no machine has that code.");

        return $user;
    }
}
