from oleg.cli.main import main

main()
