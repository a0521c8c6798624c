from setpoint.cli import main

main()
