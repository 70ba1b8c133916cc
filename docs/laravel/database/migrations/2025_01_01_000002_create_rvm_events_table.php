<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    /**
     * Every durable edge event (detection-completed, session-completed), stored once.
     */
    public function up(): void
    {
        Schema::create('rvm_events', function (Blueprint $table) {
            $table->id();
            $table->string('event_id', 128)->unique();   // the idempotency key: re-sends keep it
            $table->foreignId('machine_id')->constrained();
            $table->string('rvm_id', 64);
            $table->string('type', 64);
            $table->string('outbox_id', 64)->nullable();  // the edge outbox that sent it
            $table->unsignedBigInteger('seq')->nullable(); // per outbox_id, for gap detection only
            $table->timestamp('edge_timestamp', 3)->nullable();
            $table->boolean('truncated')->default(false);
            $table->json('payload');                      // the event exactly as the edge sent it
            $table->timestamps();
            $table->index(['rvm_id', 'outbox_id', 'seq']); // not unique: seq restarts with each outbox
        });
    }

    public function down(): void
    {
        Schema::dropIfExists('rvm_events');
    }
};
