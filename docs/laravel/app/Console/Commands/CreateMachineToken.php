<?php

namespace App\Console\Commands;

use App\Models\Machine;
use Illuminate\Console\Command;

/**
 * php artisan rvm:machine-token rvm-001 --name="Lobby" [--rotate]
 */
class CreateMachineToken extends Command
{
    protected $signature = 'rvm:machine-token
        {code : The machine id, the edge\'s rvm_id (A-Z a-z 0-9 _ -, at most 64)}
        {--name= : A display name for a new machine}
        {--rotate : Revoke the machine\'s earlier tokens}';

    protected $description = 'Create a machine (if new) and a Sanctum token for its rvm-edge';

    public function handle(): int
    {
        $code = (string) $this->argument('code');
        if (! preg_match(Machine::CODE_PATTERN, $code)) {
            $this->error("'{$code}' is not a valid machine id: use 1-64 characters from A-Z a-z 0-9 _ - (no dots).");

            return self::FAILURE;
        }
        $machine = Machine::firstOrCreate(['code' => $code], ['name' => $this->option('name')]);
        if ($this->option('rotate')) {
            $machine->tokens()->delete();
        }
        $token = $machine->createToken('rvm-edge', [$machine->ability()]);

        $this->info("Machine {$machine->code}: token with ability {$machine->ability()} (shown once):");
        $this->line($token->plainTextToken);
        $this->line('On the edge: RVM_BRIDGE_TOKEN=<token>, rvm_id: '.$machine->code);

        return self::SUCCESS;
    }
}
