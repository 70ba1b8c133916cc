<?php

namespace App\Providers;

use App\Models\Machine;
use App\Models\User;
use Illuminate\Support\Facades\Gate;
use Illuminate\Support\ServiceProvider;

class AppServiceProvider extends ServiceProvider
{
    /**
     * Register any application services.
     */
    public function register(): void
    {
        //
    }

    /**
     * Bootstrap any application services.
     */
    public function boot(): void
    {
        // Who may watch a machine's private channel, send it commands and request a sync:
        // a user whose token carries "rvm:operate" (php artisan rvm:operator-token). Put your own
        // roles here. A null $rvmId means every machine (a fleet-wide manual-sync).
        Gate::define('operate-machine', function ($user, ?string $rvmId = null): bool {
            return $user instanceof User
                && $user->tokenCan('rvm:operate')
                && ($rvmId === null || Machine::where('code', $rvmId)->exists());
        });
    }
}
