"""The sound server's echo canceller: PulseAudio's echo-cancel module, for this run only.

On real hardware the loudspeaker leaks into the microphone. PulseAudio (and
PipeWire's PulseAudio service) can remove it: module-echo-cancel makes a
virtual microphone from which what the virtual speaker plays is subtracted.
:class:`EchoCanceller` loads it between the current microphone and speaker,
points this process's streams at it, and unloads it again on close.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

from .errors import VoiceGuideError

log = logging.getLogger(__name__)

SOURCE = "voiceguide_echo_cancelled"
"""The virtual microphone the guide records from while the canceller runs."""
SINK = "voiceguide_echo_reference"
"""The virtual speaker the guide plays to: the canceller's reference."""


class EchoCancelUnavailable(VoiceGuideError):
    """There is no sound server with an echo canceller here; the message says why."""


def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)


class EchoCanceller:
    """module-echo-cancel (WebRTC method) loaded for the life of this object."""

    def __init__(self, method: str = "webrtc") -> None:
        if shutil.which("pactl") is None:
            raise EchoCancelUnavailable("echo cancelling needs PulseAudio's pactl, which is not installed")
        masters = [f"{name}={os.environ[var]}" for name, var in
                   (("source_master", "PULSE_SOURCE"), ("sink_master", "PULSE_SINK")) if os.environ.get(var)]
        # Analog gain control would turn the real microphone's volume down for good: left off.
        loaded = _pactl("load-module", "module-echo-cancel", f"aec_method={method}", "aec_args=analog_gain_control=0",
                        f"source_name={SOURCE}", f"sink_name={SINK}", *masters)
        if loaded.returncode != 0:
            reason = (loaded.stderr or loaded.stdout).strip().splitlines()
            raise EchoCancelUnavailable(f"the sound server would not load its echo canceller: "
                                        f"{reason[-1] if reason else 'no reason given'}")
        self.module = loaded.stdout.strip()
        self._saved = {var: os.environ.get(var) for var in ("PULSE_SOURCE", "PULSE_SINK")}
        # Streams opened from now on (through ALSA's "pulse" device or the default) use the canceller.
        os.environ["PULSE_SOURCE"], os.environ["PULSE_SINK"] = SOURCE, SINK
        log.info("echo canceller loaded (module %s, %s)", self.module, method)

    def close(self) -> None:
        """Unload the module and point streams back where they were."""
        for var, value in self._saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        if _pactl("unload-module", self.module).returncode != 0:
            log.warning("could not unload the echo canceller (module %s)", self.module)

    def __enter__(self) -> EchoCanceller:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
