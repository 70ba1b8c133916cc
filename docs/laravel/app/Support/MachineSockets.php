<?php

namespace App\Support;

use Illuminate\Support\Facades\Cache;

/**
 * Which Reverb socket Laravel authorized as which machine.
 *
 * routes/channels.php records a socket when a machine token authorizes its own channel; the
 * MessageReceived listener (inside `php artisan reverb:start`) stores durable client events
 * only from a socket recorded for that channel's machine, so an operator's browser on the
 * same private channel cannot forge a verdict. The cache store must be shared by the web app
 * and the Reverb process (database, the Laravel 11 default, or redis; never "array").
 */
final class MachineSockets
{
    /** Refreshed by every accepted event; a longer-idle connection re-authorizes on reconnect. */
    private const TTL_DAYS = 30;

    public static function remember(string $socketId, string $rvmId): void
    {
        Cache::put(self::key($socketId), $rvmId, now()->addDays(self::TTL_DAYS));
    }

    public static function machineOf(string $socketId): ?string
    {
        $rvmId = Cache::get(self::key($socketId));

        return is_string($rvmId) ? $rvmId : null;
    }

    private static function key(string $socketId): string
    {
        return 'rvm-edge:socket:'.$socketId;
    }
}
