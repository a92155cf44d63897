"""Running untrusted student code: a child process behind a plain-data protocol.

- ``protocol``: frames of JSON plus ``.npy`` blobs; the only thing that crosses.
- ``child``: the untrusted side (runs as the sandbox user, imports the submission).
- ``limits``: resource limits and the sandbox user.
- ``proxy``: the trusted side: starts, calls, times out, kills and restarts the child.
"""
