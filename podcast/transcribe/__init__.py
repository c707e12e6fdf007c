"""Transcription: drafts of transcripts made offline with faster-whisper, beside the build
(`podcast transcribe` writes them into the episode folder; a build with
`[transcription] auto = true` makes them for episodes that have none). Needs the optional
extra `podcast[transcribe]`."""
