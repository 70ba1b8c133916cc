<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Relations\HasMany;
use Illuminate\Foundation\Auth\User as Authenticatable;
use Laravel\Sanctum\HasApiTokens;

/**
 * One reverse vending machine (one rvm-edge). It authenticates with its own Sanctum token,
 * whose ability "rvm:<code>" names it; "code" is the edge's rvm_id.
 */
class Machine extends Authenticatable
{
    use HasApiTokens;

    /** The rvm_id rule of src/rvm_common/rvm_common/schemas/envelope.json: no dots, so rvm.{rvmId} matches every id. */
    public const CODE_PATTERN = '/^[A-Za-z0-9_-]{1,64}$/';

    /**
     * The attributes that are mass assignable.
     *
     * @var list<string>
     */
    protected $fillable = ['code', 'name'];

    /**
     * The token ability that lets this machine use its channel and post its events.
     */
    public function ability(): string
    {
        return "rvm:{$this->code}";
    }

    public function rvmEvents(): HasMany
    {
        return $this->hasMany(RvmEvent::class);
    }

    public function detections(): HasMany
    {
        return $this->hasMany(Detection::class);
    }
}
