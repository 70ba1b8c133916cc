<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    /**
     * One row per detection-completed event: the verdict a refund is credited from.
     */
    public function up(): void
    {
        Schema::create('detections', function (Blueprint $table) {
            $table->id();
            $table->string('event_id', 128)->unique();   // credit a refund once per event_id
            $table->foreignId('machine_id')->constrained();
            $table->string('item_id', 128)->nullable();
            $table->string('session_id', 128)->nullable()->index();
            $table->string('category', 64)->nullable();
            $table->string('class_name', 128)->nullable();
            $table->boolean('accepted')->nullable();
            $table->string('reason', 64)->nullable();
            $table->float('confidence')->nullable();
            $table->timestamp('captured_at', 3)->nullable();
            $table->boolean('truncated')->default(false);
            $table->timestamps();
        });
    }

    public function down(): void
    {
        Schema::dropIfExists('detections');
    }
};
