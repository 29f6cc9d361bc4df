from csm_console.cli.main import run

run()
