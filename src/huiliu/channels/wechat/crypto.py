"""WeChat's push signatures and safe-mode encryption (消息加解密).

Every push carries ``signature`` = hex SHA-1 of the sorted, concatenated ``token``,
``timestamp`` and ``nonce``; a safe-mode push also carries ``msg_signature`` over the same
three and its ``Encrypt`` field. ``Encrypt`` is base64 of AES-256-CBC (key: the 43-character
EncodingAESKey base64-decoded, IV: the key's first 16 bytes, PKCS#7 padding to 32 bytes) of
16 random bytes, the message's length (4 bytes, big-endian), the message, and the appid.
See https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


class CryptoError(ValueError):
    """A safe-mode body that does not decrypt to a message for this account."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (WeChat's)


def valid(given: str, *parts: str) -> bool:
    """Constant-time: a timing difference must not reveal how much of a forgery matched."""
    return hmac.compare_digest(signature(*parts).encode(), given.strip().lower().encode())


def aes_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        raise ValueError("the EncodingAESKey is not base64") from None
    if len(key) != 32:
        raise ValueError("the EncodingAESKey must decode to 32 bytes (43 characters)")
    return key


def decrypt(encoding_aes_key: str, encrypted: str, appid: str) -> bytes:
    """The XML inside a safe-mode ``Encrypt`` field, checked to be for ``appid``."""
    key = aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted, validate=True)
    except binascii.Error:
        raise CryptoError("Encrypt is not base64") from None
    if not data or len(data) % 16:
        raise CryptoError("Encrypt is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad padding: the EncodingAESKey does not match")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise CryptoError("the decrypted message is too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, their_appid = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or not hmac.compare_digest(their_appid, appid.encode()):
        raise CryptoError("the encrypted message is not for this appid")
    return message


def encrypt(encoding_aes_key: str, message: bytes, appid: str) -> str:
    """The ``Encrypt`` value of a passive reply (and what the tests check against wechatpy)."""
    key = aes_key(encoding_aes_key)
    body = os.urandom(16) + struct.pack(">I", len(message)) + message + appid.encode()
    pad = BLOCK - len(body) % BLOCK
    body += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode()
