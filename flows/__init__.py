"""What drives deployments on the local emulator and reads them: the pipeline (deploy, test,
re-plan, destroy), the endpoints, the outage switch's command, the leftovers check and the CI
role check. It imports the emulator (``local_aws/``) as a client; the emulator imports nothing
from here."""
