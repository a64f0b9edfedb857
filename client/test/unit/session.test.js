'use strict';
// login(), logout(), logoutEverywhere(), sessions(), endSession(), session(), getPhoneNumber(), decrypt() and
// uploadFile() against a fake wx and a fake gateway (test-support/fake-wx.js).
const { test: nodeTest } = require('node:test');
const assert = require('node:assert/strict');
const { createAuthClient } = require('../../wechat-auth');
const { FakeGateway, fakeWx, requestsTo } = require('../../test-support/fake-wx');

const test = (name, fn) => nodeTest(name, { timeout: 10000 }, fn);

function setUp(options) {
  const gateway = new FakeGateway();
  const wx = fakeWx(gateway);
  const auth = createAuthClient(Object.assign({ baseUrl: 'https://gw.example/', wx: wx }, options));
  return { gateway, wx, auth };
}

function loggedIn(options) {
  const setup = setUp(options);
  setup.wx.setStorageSync('wechat-auth-token', setup.gateway.issue());
  return setup;
}

test('login() resolves to the session and keeps the token; concurrent calls share one login', async () => {
  const { wx, auth } = setUp();

  const [first, second] = await Promise.all([auth.login(), auth.login()]);

  assert.equal(first, second);
  assert.equal(first.openid, 'o_code1');
  assert.equal(first.expiresIn, 604800);
  assert.equal(first.data.token, 't1');
  assert.equal(wx.calls.login, 1);
  assert.equal(auth.getToken(), 't1');
  assert.equal(auth.isLoggedIn(), true);
  const again = await auth.login();
  assert.equal(again.data.token, 't2', 'a later login() is a new login');
});

test('login() sends the configured appid, to the configured path, and uses the configured storage key', async () => {
  const { gateway, wx, auth } = setUp({ appid: 'wx_second', loginPath: '/auth/login', storageKey: 'my-token' });
  gateway.answer = (options) => ({ statusCode: 200, data: { token: 'x1', openid: 'o', expiresIn: 60, url: options.url } });

  await auth.login();

  assert.equal(wx.calls.request[0].url, 'https://gw.example/auth/login');
  assert.deepEqual(wx.calls.request[0].data, { code: 'code1', appid: 'wx_second' });
  assert.equal(wx.getStorageSync('my-token'), 'x1');
});

test('login() through a login route with a service behind it takes the token from X-Auth-Token', async () => {
  const { gateway, auth } = setUp();
  gateway.loginAnswer = {
    statusCode: 200, data: { welcome: 'new user' }, header: { 'x-auth-token': 'from-header', 'X-Auth-Expires-In': '3600' }
  };

  const session = await auth.login();

  assert.equal(auth.getToken(), 'from-header');
  assert.equal(session.expiresIn, 3600);
  assert.deepEqual(session.data, { welcome: 'new user' });
});

test('login() rejects an answer without a token', async () => {
  const { gateway, auth } = setUp();
  gateway.loginAnswer = { statusCode: 200, data: { hello: 'no token here' } };

  await assert.rejects(auth.login(), { error: 'http_error', statusCode: 200 });
  assert.equal(auth.isLoggedIn(), false);
});

test('logout() ends the session with its token, forgets it, and never logs in', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.routes['/wx/logout'] = (options, token) => {
    gateway.tokens.delete(token);
    return { statusCode: 204, data: '' };
  };

  await auth.logout();

  const logout = requestsTo(wx, '/wx/logout');
  assert.equal(logout.length, 1);
  assert.equal(logout[0].method, 'POST');
  assert.equal(logout[0].header.Authorization, 'Bearer t1');
  assert.equal(auth.isLoggedIn(), false);
  assert.equal(wx.calls.login, 0);
});

test('logout() of a session that already ended forgets the token and resolves; without a token it sends nothing', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.revokeAll();

  await auth.logout();
  await auth.logout();

  assert.equal(auth.isLoggedIn(), false);
  assert.equal(requestsTo(wx, '/wx/logout').length, 1);
  assert.equal(wx.calls.login, 0);
});

test('logout() that gets no answer forgets the token and says so', async () => {
  const { gateway, auth } = loggedIn();
  gateway.answer = () => 'network';

  await assert.rejects(auth.logout(), { error: 'network_error' });
  assert.equal(auth.isLoggedIn(), false);
});

test('logoutEverywhere() is DELETE /wx/sessions with the token, and forgets the token', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.routes['/wx/sessions'] = (options) => ({ statusCode: options.method === 'DELETE' ? 204 : 405, data: '' });

  await auth.logoutEverywhere();

  const sent = requestsTo(wx, '/wx/sessions');
  assert.deepEqual(sent.map((call) => [call.method, call.header.Authorization]), [['DELETE', 'Bearer t1']]);
  assert.equal(auth.isLoggedIn(), false);
});

test('logoutEverywhere() with an ended session forgets the token, rejects, and does not log in just to log out', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.revokeAll();

  await assert.rejects(auth.logoutEverywhere(), { error: 'invalid_token' });
  assert.equal(auth.isLoggedIn(), false);
  assert.equal(wx.calls.login, 0);
});

test('sessions() lists the user\'s sessions; endSession(id) ends one by its id', async () => {
  const { gateway, wx, auth } = loggedIn({ sessionsPath: '/me/sessions' });
  const list = [
    { id: 'abc', createdAt: 1700000100, lastUsedAt: 1700000200, expiresIn: 600, userAgent: 'iPhone', current: true },
    { id: 'd/e f', createdAt: 1700000000, lastUsedAt: 1700000000, expiresIn: 500, current: false }
  ];
  gateway.routes['/me/sessions'] = () => ({ statusCode: 200, data: { sessions: list } });
  gateway.routes['/me/sessions/d%2Fe%20f'] = (options) => ({ statusCode: options.method === 'DELETE' ? 204 : 405, data: '' });

  assert.deepEqual(await auth.sessions(), list);
  await auth.endSession('d/e f');

  assert.equal(requestsTo(wx, '/me/sessions/d%2Fe%20f')[0].method, 'DELETE');
  assert.equal(auth.isLoggedIn(), true);
});

test('endSession() of an id that is not the user\'s rejects with not_found', async () => {
  const { gateway, auth } = loggedIn();
  gateway.routes['/wx/sessions/nope'] = () => ({ statusCode: 404, data: { error: 'not_found', message: 'No such session.' } });

  await assert.rejects(auth.endSession('nope'), { error: 'not_found', message: 'No such session.', statusCode: 404 });
});

test('session() describes the session of the token', async () => {
  const { gateway, auth } = loggedIn();
  gateway.routes['/wx/session'] = () => ({ statusCode: 200, data: { openid: 'o1', appid: 'wx1', expiresIn: 60 } });

  assert.deepEqual(await auth.session(), { openid: 'o1', appid: 'wx1', expiresIn: 60 });
});

test('getPhoneNumber(code) posts the button\'s code with the token and resolves to the number', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.routes['/wx/phone'] = (options) => ({
    statusCode: 200, data: { phoneNumber: '+8613800138000', purePhoneNumber: '13800138000', countryCode: '86', sent: options.data }
  });

  const phone = await auth.getPhoneNumber('phone-code-1');

  assert.equal(phone.phoneNumber, '+8613800138000');
  assert.deepEqual(phone.sent, { code: 'phone-code-1' });
  assert.equal(requestsTo(wx, '/wx/phone')[0].method, 'POST');
});

test('getPhoneNumber() goes to another path when told, and a declined button (no code) sends nothing', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.routes['/api/users/me/phone'] = () => ({ statusCode: 200, data: { bound: true } });

  assert.deepEqual(await auth.getPhoneNumber('c', { path: '/api/users/me/phone' }), { bound: true });
  await assert.rejects(auth.getPhoneNumber(undefined), { error: 'no_phone_code' });
  assert.equal(wx.calls.request.length, 1);
});

test('getPhoneNumber() with an invalid code carries the gateway\'s invalid_code', async () => {
  const { gateway, auth } = loggedIn();
  gateway.routes['/wx/phone'] = () => ({ statusCode: 400, data: { error: 'invalid_code', message: 'WeChat refused the phone code.' } });

  await assert.rejects(auth.getPhoneNumber('used'), { error: 'invalid_code', message: 'WeChat refused the phone code.' });
});

test('decrypt() posts encryptedData and iv, given apart or as wx\'s result, and resolves to the object', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.routes['/wx/decrypt'] = (options) => ({ statusCode: 200, data: { stepInfoList: [], got: options.data } });

  const apart = await auth.decrypt('ZW5j', 'aXY=');
  const whole = await auth.decrypt({ encryptedData: 'ZW5j', iv: 'aXY=', errMsg: 'getWeRunData:ok' });

  assert.deepEqual(apart.got, { encryptedData: 'ZW5j', iv: 'aXY=' });
  assert.deepEqual(whole.got, { encryptedData: 'ZW5j', iv: 'aXY=' });
  assert.equal(requestsTo(wx, '/wx/decrypt').length, 2);
});

test('decrypt() says decrypt_failed plainly: log in again, then fetch the data again', async () => {
  const { gateway, wx, auth } = loggedIn();
  gateway.routes['/wx/decrypt'] = () => ({
    statusCode: 400, data: { error: 'decrypt_failed', message: 'The data does not decrypt with the newest session_key.' }
  });

  await assert.rejects(auth.decrypt('ZW5j', 'aXY='), (error) => {
    assert.equal(error.error, 'decrypt_failed');
    assert.equal(error.message, 'The data does not decrypt with the newest session_key.');
    assert.match(error.hint, /login\(\).*again/);
    return true;
  });
  assert.equal(wx.calls.login, 0, 'the data itself must be fetched again: a login alone does not cure it');
});

test('uploadFile() carries the token, logs in once on a 401 and retries, and parses a JSON answer', async () => {
  const { gateway, wx, auth } = setUp();
  gateway.routes['/api/avatar'] = (options, token) => ({ statusCode: 200, data: { stored: options.name, token } });

  const answer = await auth.uploadFile({ url: '/api/avatar', filePath: 'wxfile://tmp/a.png', name: 'avatar' });

  assert.deepEqual(answer.data, { stored: 'avatar', token: 't1' });
  assert.deepEqual(wx.calls.uploadFile.map((call) => call.header.Authorization), [undefined, 'Bearer t1']);
  assert.equal(wx.calls.uploadFile[1].filePath, 'wxfile://tmp/a.png');
  assert.equal(wx.calls.login, 1);
});
