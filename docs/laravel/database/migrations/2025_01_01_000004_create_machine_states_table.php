<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    /**
     * The newest status, health and timezone of each machine: one row per machine and kind,
     * overwritten (App\Jobs\StoreMachineState), never credited.
     */
    public function up(): void
    {
        Schema::create('machine_states', function (Blueprint $table) {
            $table->id();
            $table->foreignId('machine_id')->constrained();
            $table->string('kind', 16);                   // status | health | timezone
            $table->timestamp('edge_timestamp', 3)->nullable();
            $table->text('payload');                      // the event exactly as the edge sent it
            $table->timestamps();
            $table->unique(['machine_id', 'kind']);
        });
    }

    public function down(): void
    {
        Schema::dropIfExists('machine_states');
    }
};
