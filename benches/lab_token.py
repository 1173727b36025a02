#!/usr/bin/env python3
"""The lab's token script, as a learner runs it: boto3 AdminInitiateAuth with ADMIN_NO_SRP_AUTH
and the secret hash, printing the ID token. Written for walab's benchmark (benches/run.sh) as the
baseline `walab token` is compared with; the endpoint comes from AWS_ENDPOINT_URL, as with the
AWS CLI.

usage: lab_token.py USERNAME PASSWORD USER_POOL_ID APP_CLIENT_ID APP_CLIENT_SECRET
"""
import base64
import hashlib
import hmac
import sys

import boto3


def secret_hash(username, client_id, client_secret):
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def main():
    username, password, pool_id, client_id, client_secret = sys.argv[1:6]
    client = boto3.client("cognito-idp")
    response = client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": password,
            "SECRET_HASH": secret_hash(username, client_id, client_secret),
        },
    )
    print(response["AuthenticationResult"]["IdToken"])


if __name__ == "__main__":
    main()
