module roadrunner.dev/tests/async_sender

go 1.24

require roadrunner.dev/guest v0.0.0

replace roadrunner.dev/guest => ../../../../guest/go/roadrunner
