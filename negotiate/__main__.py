from negotiate.cli import main

main()
