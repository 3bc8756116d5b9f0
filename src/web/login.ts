// The sign-in page (a real form, not the browser's pop-up) and the page shown
// for an error outside a tab.

import { html, type Html } from './html.js';
import { csrfField, documentShell } from './layout.js';

export function loginPage(options: {
  csrf: string;
  registerName: string | null;
  error: string | null;
  next: string;
  user?: string;
}): Html {
  return documentShell(
    'Sign in · Backup center',
    html`<main class="login" id="main">
      <h1>Backup center</h1>
      ${options.registerName ? html`<p class="muted">${options.registerName}</p>` : ''}
      ${options.error ? html`<p class="flash error" role="alert">${options.error}</p>` : ''}
      <form method="post" action="/login" class="stack">
        ${csrfField(options.csrf)}
        <input type="hidden" name="next" value="${options.next}" />
        <label for="user">User name</label>
        <input
          type="text"
          id="user"
          name="user"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          value="${options.user ?? ''}"
          autofocus
        />
        <label for="password">Password</label>
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="current-password"
          required
        />
        <div class="actions"><button type="submit" class="primary wide">Sign in</button></div>
      </form>
    </main>`,
    'plain',
  );
}

export function errorPage(status: number, message: string): Html {
  return documentShell(
    'Backup center',
    html`<main class="login" id="main">
      <h1>
        ${status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Something went wrong'}
      </h1>
      <p>${message}</p>
      <p><a href="/status">Back to the Backup center</a></p>
    </main>`,
    'plain',
  );
}
