<?php

namespace App\Support;

/**
 * Decides, inside `php artisan reverb:start`, which status, health and timezone events are
 * worth a database write: the first of each machine and kind this process sees, then changes
 * only (a heartbeat repeats what is stored), and health (new figures every few seconds) at
 * most once a minute. Everything else is only relayed to dashboards.
 */
final class LatestStateGate
{
    /** Seconds between two stored events of one kind of one machine. */
    public const MIN_INTERVAL_S = ['status' => 0, 'health' => 60, 'timezone' => 0];

    /** @var array<string, int> "rvm_id kind" => when this process last let one through (Unix s) */
    private static array $passedAt = [];

    public static function shouldStore(string $rvmId, string $kind, bool $heartbeat, int $now): bool
    {
        $key = "{$rvmId} {$kind}";
        $last = self::$passedAt[$key] ?? null;
        if ($last !== null && ($heartbeat || $now - $last < (self::MIN_INTERVAL_S[$kind] ?? 0))) {
            return false;
        }
        self::$passedAt[$key] = $now;

        return true;
    }
}
