<?php

namespace App\Http\Controllers;

use App\Models\Machine;
use App\Services\EdgeEventStore;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

/**
 * POST /api/v2/edge/events: the edge's "api" transport for durable events.
 * Body {"events": [envelope, ...]}; the answer {"stored": [event_id, ...]} confirms exactly
 * those events (stored now or before); the edge keeps and re-sends every other one.
 */
class EdgeEventsController extends Controller
{
    /** More than one edge batch; the request is far below Laravel's and PHP's body limits. */
    private const MAX_EVENTS = 100;

    public function __invoke(Request $request, EdgeEventStore $store): JsonResponse
    {
        $machine = $request->user();
        if (! $machine instanceof Machine || ! $machine->tokenCan($machine->ability())) {
            return response()->json([
                'message' => 'Only a machine token (ability rvm:<code>) may post edge events.',
            ], 403);
        }
        // Decoded to objects, so an empty {} in an event is stored as {} (an array would become []).
        $body = json_decode($request->getContent());
        $events = is_object($body) ? ($body->events ?? null) : null;
        if (! is_array($events) || count($events) > self::MAX_EVENTS) {
            return response()->json([
                'message' => 'The body must be {"events": [event, ...]} with at most '.self::MAX_EVENTS.' events.',
            ], 422);
        }
        $payloads = array_map(fn ($event) => json_encode($event, EdgeEventStore::JSON_FLAGS), $events);

        return response()->json($store->store($machine, $payloads));
    }
}
