/**
 * The text with the password of every `scheme://user:password@` replaced by `***`, and the token
 * of every `scheme://token@`: applied to every log and error line, which may quote a URL.
 */
export function redactSecrets(text: string): string {
  return text.replace(
    /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:,"]*)(:[^\s/@,"]*)?@/gi,
    (_all, scheme: string, user: string, pass: string | undefined) =>
      pass === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
  );
}
