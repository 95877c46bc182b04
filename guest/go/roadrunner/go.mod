module roadrunner.dev/guest

go 1.24
