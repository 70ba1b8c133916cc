<?php

namespace App\Support;

use Illuminate\Cache\DatabaseStore;
use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\DB;

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
    /**
     * Refreshed by every accepted event; a longer-idle socket is disconnected by the listener at
     * its next event, and the edge re-authorizes (a new row) and re-sends.
     */
    private const TTL_DAYS = 1;

    private const PREFIX = 'rvm-edge:socket:';

    public static function remember(string $socketId, string $rvmId): void
    {
        Cache::put(self::key($socketId), $rvmId, now()->addDays(self::TTL_DAYS));
    }

    /**
     * Deletes expired socket rows of the database cache store (scheduled hourly in
     * bootstrap/app.php): that store removes an expired row only when the same key is read
     * again, and a socket id is never read again once its connection is gone. Redis and
     * memcached expire keys themselves. Returns the number of rows deleted.
     */
    public static function purgeExpired(): int
    {
        $store = Cache::getStore();
        if (! $store instanceof DatabaseStore) {
            return 0;
        }

        return DB::connection(config('cache.stores.database.connection'))
            ->table(config('cache.stores.database.table', 'cache'))
            ->where('key', 'like', $store->getPrefix().self::PREFIX.'%')
            ->where('expiration', '<=', now()->getTimestamp())
            ->delete();
    }

    public static function machineOf(string $socketId): ?string
    {
        $rvmId = Cache::get(self::key($socketId));

        return is_string($rvmId) ? $rvmId : null;
    }

    private static function key(string $socketId): string
    {
        return self::PREFIX.$socketId;
    }
}
