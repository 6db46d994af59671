from huiliu.cli import main

main()
