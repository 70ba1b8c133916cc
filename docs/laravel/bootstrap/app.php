<?php

use App\Support\MachineSockets;
use Illuminate\Console\Scheduling\Schedule;
use Illuminate\Foundation\Application;
use Illuminate\Foundation\Configuration\Exceptions;
use Illuminate\Foundation\Configuration\Middleware;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Route;

return Application::configure(basePath: dirname(__DIR__))
    ->withRouting(
        web: __DIR__.'/../routes/web.php',
        api: __DIR__.'/../routes/api.php',
        commands: __DIR__.'/../routes/console.php',
        health: '/up',
    )
    // routes/channels.php, with the channel auth endpoint at POST /api/v2/broadcasting/auth
    // for Sanctum Bearer tokens (the edge and the dashboard). No "channels:" in withRouting
    // above: that would register a second, session-based /broadcasting/auth.
    ->withBroadcasting(
        __DIR__.'/../routes/channels.php',
        ['prefix' => 'api/v2', 'middleware' => ['api', 'auth:sanctum']],
    )
    // Expired machine-socket rows of the database cache store (app/Support/MachineSockets.php);
    // run the scheduler: `php artisan schedule:work`, or cron `schedule:run` every minute.
    ->withSchedule(function (Schedule $schedule) {
        $schedule->call(fn () => MachineSockets::purgeExpired())->hourly()->name('rvm-socket-purge');
    })
    ->withMiddleware(function (Middleware $middleware) {
        // A guest on api/* gets a JSON 401, never a redirect to a "login" route (a fresh app has
        // none: Laravel's default redirect answers 500 "Route [login] not defined.").
        $middleware->redirectGuestsTo(fn (Request $request) => $request->is('api/*')
            ? null
            : (Route::has('login') ? route('login') : null));
    })
    ->withExceptions(function (Exceptions $exceptions) {
        // 401/403/404/422 on api/* are JSON even when the client sends no "Accept: application/json".
        $exceptions->shouldRenderJsonWhen(
            fn (Request $request) => $request->is('api/*') || $request->expectsJson()
        );
    })->create();
