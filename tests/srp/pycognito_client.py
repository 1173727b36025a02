"""The client half of Cognito's SRP sign-in, done by pycognito (an implementation walab did
not write), for walab's SRP tests. It speaks JSON lines on stdin/stdout, one sign-in after another until stdin closes:

  in:  {"pool_id", "username", "password", "private_a"?}
  out: {"SRP_A"}
  in:  {"USER_ID_FOR_SRP", "SALT", "SRP_B", "SECRET_BLOCK", "TIMESTAMP"?}
  out: {"TIMESTAMP", "PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE"}

With "private_a" the client uses that private value (hex) instead of a random one, and with
"TIMESTAMP" it signs that moment instead of now, so that both sides can be compared exactly.
"""

import base64
import hashlib
import hmac
import json
import sys

from pycognito import aws_srp


def main():
    for line in sys.stdin:
        sign_in(json.loads(line))


def sign_in(hello):
    # A stand-in for the boto3 client: the SRP arithmetic never calls it.
    srp = aws_srp.AWSSRP(
        username=hello["username"],
        password=hello["password"],
        pool_id=hello["pool_id"],
        client_id="unused",
        client=object(),
    )
    if "private_a" in hello:
        srp.small_a_value = aws_srp.hex_to_long(hello["private_a"])
        srp.large_a_value = srp.calculate_a()
    print(json.dumps({"SRP_A": srp.get_auth_params()["SRP_A"]}), flush=True)

    challenge = json.loads(sys.stdin.readline())
    if "TIMESTAMP" not in challenge:
        answer = srp.process_challenge(challenge, {"USERNAME": hello["username"]})
    else:
        # process_challenge signs the current time; sign the given moment the same way.
        user_id = challenge["USER_ID_FOR_SRP"]
        key = srp.get_password_authentication_key(
            user_id, hello["password"], aws_srp.hex_to_long(challenge["SRP_B"]), challenge["SALT"]
        )
        message = (
            hello["pool_id"].split("_")[1].encode()
            + user_id.encode()
            + base64.standard_b64decode(challenge["SECRET_BLOCK"])
            + challenge["TIMESTAMP"].encode()
        )
        answer = {
            "TIMESTAMP": challenge["TIMESTAMP"],
            "PASSWORD_CLAIM_SECRET_BLOCK": challenge["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": base64.standard_b64encode(
                hmac.new(key, message, digestmod=hashlib.sha256).digest()
            ).decode(),
        }
    print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
