// Signing in and out: a real form (JSON or a plain form post), a new session
// id at every sign-in, the cookie set by the edge, the rules in the users service.

import { z } from 'zod';
import { parse, route } from '../routes.js';

const Login = z.object({ name: z.string().min(1).max(200), password: z.string().min(1).max(1024) });

export const authRoutes = [
  route({
    method: 'POST',
    url: '/api/auth/login',
    access: 'public',
    handler: async ({ center, req, address, setSession, sessionId }) => {
      const { name, password } = parse(Login, req.body);
      const signed = await center.users.login(name, password, address);
      // A session id from before is dropped: the new one is the only one.
      if (sessionId) center.users.logout(sessionId);
      setSession(signed.id, center.users.absoluteMs / 1000);
      const { id: _id, ...session } = signed;
      return session;
    },
  }),
  route({
    method: 'POST',
    url: '/api/auth/logout',
    access: 'signed-in',
    handler: ({ center, sessionId, setSession }) => {
      if (sessionId) center.users.logout(sessionId);
      setSession(null);
      return { signedOut: true };
    },
  }),
  route({
    method: 'GET',
    url: '/api/auth/me',
    access: 'public',
    handler: ({ user, csrf }) =>
      user
        ? { user: user.name, rights: user.rights, csrf }
        : { user: null, rights: [], csrf: null },
  }),
];
