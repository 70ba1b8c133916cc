<?php

use App\Http\Controllers\EdgeEventsController;
use App\Http\Controllers\MachineControlController;
use App\Http\Controllers\MachineStateController;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Route;

Route::get('/user', function (Request $request) {
    return $request->user();
})->middleware('auth:sanctum');

// All under /api/v2, Sanctum Bearer tokens. (/api/v2/broadcasting/auth is registered by
// withBroadcasting in bootstrap/app.php.)
Route::middleware('auth:sanctum')->prefix('v2')->group(function () {
    // the edge's "api" transport for durable events (machine tokens)
    Route::post('edge/events', EdgeEventsController::class);

    // operator actions (user tokens with the ability rvm:operate)
    Route::post('rvm/manual-sync', [MachineControlController::class, 'manualSync'])
        ->middleware('throttle:6,1');
    Route::post('rvm/{rvmId}/commands', [MachineControlController::class, 'command'])
        ->where('rvmId', '[A-Za-z0-9_-]{1,64}')
        ->middleware('throttle:30,1');

    // what a dashboard missed (on open, after a reconnect): verdicts with crops, from the database
    Route::get('rvm/{rvmId}/state', MachineStateController::class)
        ->where('rvmId', '[A-Za-z0-9_-]{1,64}')
        ->middleware('throttle:60,1');
});
