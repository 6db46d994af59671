"""Uploaded files (images and attachments in chat), stored in the database so that every
process of a deployment serves every file."""
