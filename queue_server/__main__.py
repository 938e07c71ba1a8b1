from hallqueue_cli import main

main()
