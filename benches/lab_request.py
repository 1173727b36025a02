#!/usr/bin/env python3
"""The lab's request script, as a learner runs it: GET the URL with `Authorization: <token>` when
a token is given, print the status and the body. Written for walab's benchmark (benches/run.sh)
as the baseline `walab request` is compared with.

usage: lab_request.py URL [ID_TOKEN]
"""
import sys

import requests


def main():
    url = sys.argv[1]
    headers = {"Authorization": sys.argv[2]} if len(sys.argv) > 2 else {}
    response = requests.get(url, headers=headers, timeout=30)
    print(response.status_code)
    print(response.text)


if __name__ == "__main__":
    main()
