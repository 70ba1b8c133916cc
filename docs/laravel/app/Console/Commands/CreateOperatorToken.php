<?php

namespace App\Console\Commands;

use App\Models\User;
use Illuminate\Console\Command;
use Illuminate\Support\Str;

/**
 * php artisan rvm:operator-token ops@myrvm.example --name="Ops"
 */
class CreateOperatorToken extends Command
{
    protected $signature = 'rvm:operator-token
        {email : The operator\'s e-mail (the user is created if new)}
        {--name= : The name of a new user}';

    protected $description = 'Create a Sanctum token with the ability rvm:operate for the dashboard';

    public function handle(): int
    {
        $email = (string) $this->argument('email');
        if (! filter_var($email, FILTER_VALIDATE_EMAIL)) {
            $this->error("'{$email}' is not an e-mail address.");

            return self::FAILURE;
        }
        $user = User::firstOrCreate(['email' => $email], [
            'name' => $this->option('name') ?? $email,
            'password' => Str::password(32),
        ]);
        $token = $user->createToken('rvm-dashboard', ['rvm:operate']);

        $this->info("User {$user->email}: token with ability rvm:operate (shown once):");
        $this->line($token->plainTextToken);

        return self::SUCCESS;
    }
}
