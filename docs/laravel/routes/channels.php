<?php

use App\Models\Machine;
use App\Models\User;
use App\Support\MachineSockets;
use Illuminate\Support\Facades\Broadcast;

/*
 * private-rvm.{rvmId}: one machine's channel (Laravel strips "private-"). Laravel matches
 * {rvmId} with [^.]+, so machine ids never contain a dot (src/rvm_common/rvm_common/schemas/envelope.json).
 *
 * - The machine itself: its token must belong to the Machine whose code is rvmId and carry
 *   the ability "rvm:<code>". Its socket is recorded, so the MessageReceived listener
 *   accepts its durable client events (and nobody else's) on this channel.
 * - An operator (dashboard user) allowed by the "operate-machine" gate: receives
 *   events-stored and command, may whisper client-manual-sync; cannot store events.
 */
Broadcast::channel('rvm.{rvmId}', function ($authenticated, string $rvmId) {
    if ($authenticated instanceof Machine) {
        if ($authenticated->code !== $rvmId || ! $authenticated->tokenCan($authenticated->ability())) {
            return false;
        }
        MachineSockets::remember((string) request()->input('socket_id'), $rvmId);

        return true;
    }

    return $authenticated instanceof User && $authenticated->can('operate-machine', $rvmId);
});
