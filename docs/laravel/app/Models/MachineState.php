<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/**
 * The newest status-updated, health-updated or timezone-synced of one machine (table
 * machine_states, one row per machine and kind). payload is the edge's JSON text, not cast,
 * so an empty object stays {}.
 */
class MachineState extends Model
{
    /** kind => the event type it holds (src/rvm_common/rvm_common/schemas/<type>.json). */
    public const KINDS = [
        'status' => 'status-updated',
        'health' => 'health-updated',
        'timezone' => 'timezone-synced',
    ];

    /**
     * The attributes that aren't mass assignable.
     *
     * @var list<string>
     */
    protected $guarded = ['id'];
}
