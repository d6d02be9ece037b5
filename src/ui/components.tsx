/** Small pieces every page uses: loading state, errors, copyable commands, the delete confirmation. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; error: unknown };

/** Runs `load` whenever `deps` change; a newer run wins over an older one still in flight. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    load().then(
      (value) => current && setLoaded({ state: 'ok', value }),
      (error: unknown) => current && setLoaded({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  return [loaded, () => setRound((r) => r + 1)];
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401 || error.status === 403) return `Not allowed: ${error.message}. Sign in as a user who may see this.`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function Problem({ error }: { error: unknown }) {
  return (
    <p class="problem" role="alert">
      {errorText(error)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Show<T>({ loaded, what, children }: { loaded: Loaded<T>; what: string; children: (value: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <Loading what={what} />;
  if (loaded.state === 'error') return <Problem error={loaded.error} />;
  return <>{children(loaded.value)}</>;
}

/** A shell command with a button that copies it. */
export function Command({ label, command }: { label: string; command: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () =>
    navigator.clipboard?.writeText(command).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      },
      () => undefined,
    );
  return (
    <div class="command">
      <code>{command}</code>
      <button type="button" class="small" onClick={copy} aria-label={`Copy ${label} command`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/**
 * Asks before a delete, naming exactly what goes; the registry's answer (or refusal) is shown
 * in the dialog. A native <dialog>: focus is kept inside it and Escape cancels.
 */
export function ConfirmDelete({
  title,
  consequences,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  consequences: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onClose={onClose}>
      <h2 id="confirm-title">{title}</h2>
      <div>{consequences}</div>
      {error !== undefined && <Problem error={error} />}
      <div class="actions">
        <button type="button" onClick={() => ref.current?.close()}>
          Cancel
        </button>
        <button type="button" class="danger" disabled={busy} onClick={confirm}>
          {busy ? 'Deleting…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function Breadcrumbs({ children }: { children: ComponentChildren }) {
  return (
    <nav aria-label="Breadcrumb" class="crumbs">
      {children}
    </nav>
  );
}

/** A wide table's box: it scrolls sideways on a narrow screen, and takes focus so a keyboard can scroll it. */
export function Scroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must take focus, so keyboard users can scroll it (WCAG 2.1.1; axe scrollable-region-focusable)
    <section class="scroll" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
