// A conformant OpenID Connect provider for Gongkai's tests: panva's oidc-provider on loopback.
//
// In the authorization-code flow it releases the claims of the scopes asked for (profile, email,
// and the custom scope "org" with the organisation code, the real-name level and the account
// type) at the UserInfo endpoint only, not in the ID token (conformIdTokenClaims, the default,
// as OpenID Connect Core 5.4 has it). PKCE is required. People sign in on its development
// login form with any password. Configuration from the environment:
//   PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERS (JSON: {"sub": {claims}}).
import Provider from 'oidc-provider';

const PORT = Number(process.env.PORT || 9412);
const ISSUER = `http://127.0.0.1:${PORT}`;
const USERS = JSON.parse(process.env.USERS || '{}');

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: process.env.CLIENT_ID || 'gongkai-test',
    client_secret: process.env.CLIENT_SECRET || 'secret',
    redirect_uris: (process.env.REDIRECT_URI || 'http://localhost/auth/callback/node').split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email'],
    profile: ['name'],
    org: ['org_code', 'realname_level', 'account_type'],
  },
  conformIdTokenClaims: true,
  cookies: { keys: ['gongkai-test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = USERS[id] || {};
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
provider.listen(PORT, '127.0.0.1', () => console.log(`listening on ${ISSUER}`));
