// A sound and a browser notification for a new conversation or message while the tab is
// hidden (an agent serving twenty customers works in other tabs too).
let audio: AudioContext | null = null;

function chime(): void {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.3);
    }
  } catch {
    // no audio device: the notification alone
  }
}

export function askPermission(): void {
  if ("Notification" in window && Notification.permission === "default") {
    void Notification.requestPermission();
  }
}

export function notifyHidden(title: string, body: string, onClick: () => void): boolean {
  if (document.visibilityState === "visible") return false;
  chime();
  if ("Notification" in window && Notification.permission === "granted") {
    const n = new Notification(title, { body, tag: title, icon: "/favicon.svg" });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  }
  return true;
}
