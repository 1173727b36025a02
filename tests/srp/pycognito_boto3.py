"""Signs in to the local lab with pycognito over boto3, as a learner's Python app would, and
prints the ID token. Arguments: ENDPOINT POOL_ID CLIENT_ID CLIENT_SECRET USERNAME; the password
comes from PYCOGNITO_PASSWORD. A refusal is printed on stderr with its error code, exit 1.
"""

import os
import sys

import boto3
import botocore.exceptions
from pycognito import aws_srp


def main():
    endpoint, pool_id, client_id, client_secret, username = sys.argv[1:6]
    client = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint)
    srp = aws_srp.AWSSRP(
        username=username,
        password=os.environ["PYCOGNITO_PASSWORD"],
        pool_id=pool_id,
        client_id=client_id,
        client=client,
        client_secret=client_secret,
    )
    try:
        tokens = srp.authenticate_user()
    except botocore.exceptions.ClientError as e:
        print(e.response["Error"]["Code"], e.response["Error"]["Message"], file=sys.stderr)
        sys.exit(1)
    print(tokens["AuthenticationResult"]["IdToken"])


if __name__ == "__main__":
    main()
