'use strict';
// request(): the token, one shared login for every request a 401 cures, the queue behind a running login, one retry
// and never a loop. A fake wx and a fake gateway (test-support/fake-wx.js).
const { test: nodeTest } = require('node:test');
const assert = require('node:assert/strict');
const { createAuthClient, WechatAuthError } = require('../../wechat-auth');
const { FakeGateway, fakeWx, requestsTo } = require('../../test-support/fake-wx');

// a client that loops would hang: each test fails after 10 s instead
const test = (name, fn) => nodeTest(name, { timeout: 10000 }, fn);

function setUp(options) {
  const gateway = new FakeGateway();
  const wx = fakeWx(gateway);
  const auth = createAuthClient(Object.assign({ baseUrl: 'https://gw.example', wx: wx }, options));
  return { gateway, wx, auth };
}

test('a request carries the stored token and resolves to what wx.request gave', async () => {
  const { gateway, wx, auth } = setUp();
  const token = gateway.issue();
  wx.setStorageSync('wechat-auth-token', token);

  const answer = await auth.request({ url: '/api/orders/1', header: { 'X-Trace': 'a' } });

  assert.equal(answer.statusCode, 200);
  assert.deepEqual(answer.data, { path: '/api/orders/1', token: token });
  assert.equal(answer.errMsg, 'request:ok');
  const sent = wx.calls.request[0];
  assert.equal(sent.url, 'https://gw.example/api/orders/1');
  assert.deepEqual(sent.header, { 'X-Trace': 'a', Authorization: 'Bearer ' + token });
  assert.equal(wx.calls.login, 0);
});

test('a 401 missing_token logs in (wx.login, then the login route), keeps the token and retries once', async () => {
  const { wx, auth } = setUp();

  const answer = await auth.request({ url: '/api/orders/1', method: 'GET' });

  assert.equal(answer.statusCode, 200);
  assert.equal(wx.calls.login, 1);
  const login = requestsTo(wx, '/wx/login');
  assert.equal(login.length, 1);
  assert.equal(login[0].method, 'POST');
  assert.deepEqual(login[0].data, { code: 'code1' });
  assert.equal(login[0].header.Authorization, undefined, 'the login goes without a token');
  assert.equal(wx.getStorageSync('wechat-auth-token'), 't1');
  const orders = requestsTo(wx, '/api/orders/1');
  assert.deepEqual(orders.map((call) => call.header.Authorization), [undefined, 'Bearer t1']);
});

test('a 401 invalid_token (an expired or revoked session) logs in again too', async () => {
  const { wx, auth } = setUp();
  wx.setStorageSync('wechat-auth-token', 'revoked');

  const answer = await auth.request({ url: '/api/orders/1' });

  assert.equal(answer.data.token, 't1');
  assert.equal(wx.calls.login, 1);
});

test('five concurrent requests that all get 401 share one login, and each is retried once', async () => {
  const { wx, auth } = setUp();
  wx.setStorageSync('wechat-auth-token', 'expired');

  const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => auth.request({ url: '/api/orders/' + n })));

  assert.deepEqual(answers.map((answer) => answer.data.token), ['t1', 't1', 't1', 't1', 't1']);
  assert.equal(wx.calls.login, 1, 'one wx.login');
  assert.equal(requestsTo(wx, '/wx/login').length, 1, 'one login request');
  for (let n = 1; n <= 5; n++) {
    assert.equal(requestsTo(wx, '/api/orders/' + n).length, 2, 'request ' + n + ': sent, then retried once');
  }
});

test('requests made while a login runs wait in a queue and go with its token', async () => {
  const { gateway, wx, auth } = setUp();
  gateway.delay = 30;

  const login = auth.login();
  const queued = [auth.request({ url: '/api/a' }), auth.request({ url: '/api/b' })];
  await login;
  const answers = await Promise.all(queued);

  assert.deepEqual(answers.map((answer) => answer.data.token), ['t1', 't1']);
  assert.equal(requestsTo(wx, '/api/a').length, 1, 'sent once, after the login, with its token');
  assert.equal(requestsTo(wx, '/api/b').length, 1);
  assert.equal(wx.calls.login, 1);
});

test('a 401 that arrives after another request\'s login finished is retried with that token, without a new login', async () => {
  const { gateway, wx, auth } = setUp();
  wx.setStorageSync('wechat-auth-token', 'expired');
  gateway.routes['/api/slow'] = (options, token) => ({ statusCode: 200, data: { token } });
  const slowAnswer = gateway.answer.bind(gateway);
  const originalRequest = wx.request;
  // /api/slow's first answer (a 401 for the expired token) comes only once the other request's login is done
  let releaseSlow;
  const slowReleased = new Promise((resolve) => { releaseSlow = resolve; });
  wx.request = (options) => {
    if (options.url.endsWith('/api/slow') && !wx.slowSent) {
      wx.slowSent = true;
      wx.calls.request.push(options);
      const answer = slowAnswer(options);
      slowReleased.then(() => options.success(Object.assign({ header: {} }, answer)));
      return;
    }
    originalRequest(options);
  };

  const slow = auth.request({ url: '/api/slow' });
  await auth.request({ url: '/api/fast' });
  releaseSlow();
  const answer = await slow;

  assert.equal(answer.data.token, 't1');
  assert.equal(wx.calls.login, 1);
  assert.equal(requestsTo(wx, '/api/slow').length, 2);
});

test('a request whose retry gets 401 again is rejected: one login, two sends, never a loop', async () => {
  const { gateway, wx, auth } = setUp();
  gateway.routes['/api/always-401'] = () => ({
    statusCode: 401, data: { error: 'invalid_token', message: 'The token is unknown, expired or revoked.' }
  });
  gateway.issue();
  wx.setStorageSync('wechat-auth-token', 't1');

  await assert.rejects(auth.request({ url: '/api/always-401' }), (error) => {
    assert.ok(error instanceof WechatAuthError);
    assert.equal(error.error, 'invalid_token');
    assert.equal(error.message, 'The token is unknown, expired or revoked.');
    assert.equal(error.statusCode, 401);
    return true;
  });
  assert.equal(wx.calls.login, 1);
  assert.equal(requestsTo(wx, '/api/always-401').length, 2);
});

test('a failed login rejects every request waiting for it with the login\'s error, and starts no other', async () => {
  const { gateway, wx, auth } = setUp();
  gateway.loginAnswer = { statusCode: 401, data: { error: 'invalid_code', message: 'WeChat refused the code.' } };

  const results = await Promise.allSettled([1, 2, 3].map((n) => auth.request({ url: '/api/' + n })));

  assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected', 'rejected']);
  results.forEach((result) => {
    assert.equal(result.reason.error, 'invalid_code');
    assert.equal(result.reason.message, 'WeChat refused the code.');
  });
  assert.equal(wx.calls.login, 1);
  assert.equal(requestsTo(wx, '/wx/login').length, 1);
  assert.equal(wx.getStorageSync('wechat-auth-token'), '');
});

test('requests queued behind a login that fails are sent, and rejected with its error if they need a session', async () => {
  const { gateway, wx, auth } = setUp();
  gateway.loginAnswer = { statusCode: 503, data: { error: 'wechat_unavailable', message: 'WeChat is unavailable.' } };
  gateway.routes['/api/status'] = Object.assign(() => ({ statusCode: 200, data: { up: true } }), { public: true });

  const login = auth.login().catch((error) => error);
  const needsSession = auth.request({ url: '/api/orders/1' });
  const publicRoute = auth.request({ url: '/api/status' });

  assert.equal((await login).error, 'wechat_unavailable');
  await assert.rejects(needsSession, { error: 'wechat_unavailable' });
  assert.deepEqual((await publicRoute).data, { up: true });
  assert.equal(wx.calls.login, 1);
});

test('wx.login failing rejects with wx_login_failed', async () => {
  const { wx, auth } = setUp();
  wx.loginFails = true;

  await assert.rejects(auth.request({ url: '/api/orders/1' }), {
    name: 'WechatAuthError', error: 'wx_login_failed', message: 'login:fail no network'
  });
  assert.equal(requestsTo(wx, '/wx/login').length, 0);
});

test('with autoLogin false a 401 is rejected at once, per request or for the client', async () => {
  const perRequest = setUp();
  await assert.rejects(perRequest.auth.request({ url: '/api/orders/1', autoLogin: false }), { error: 'missing_token' });
  assert.equal(perRequest.wx.calls.login, 0);
  assert.equal(perRequest.wx.calls.request[0].autoLogin, undefined, 'autoLogin is not passed to wx.request');

  const forTheClient = setUp({ autoLogin: false });
  await assert.rejects(forTheClient.auth.request({ url: '/api/orders/1' }), { error: 'missing_token', statusCode: 401 });
  assert.equal(forTheClient.wx.calls.login, 0);
});

test('other error answers are rejected without a login: they carry the gateway\'s error and message', async () => {
  const { gateway, wx, auth } = setUp();
  gateway.issue();
  wx.setStorageSync('wechat-auth-token', 't1');
  gateway.routes['/api/down'] = () => ({
    statusCode: 502, data: { error: 'upstream_unavailable', message: 'The service is unavailable.' }
  });
  gateway.routes['/api/teapot'] = () => ({ statusCode: 418, data: 'I am a teapot' });
  gateway.routes['/api/other-401'] = () => ({ statusCode: 401, data: { error: 'not_mine', message: 'A service\'s 401.' } });

  await assert.rejects(auth.request({ url: '/api/down' }), {
    error: 'upstream_unavailable', message: 'The service is unavailable.', statusCode: 502
  });
  await assert.rejects(auth.request({ url: '/api/teapot' }), { error: 'http_error', message: 'HTTP 418', data: 'I am a teapot' });
  await assert.rejects(auth.request({ url: '/api/other-401' }), { error: 'not_mine', statusCode: 401 });
  assert.equal(wx.calls.login, 0);
});

test('a network failure is rejected with network_error and wx\'s errMsg', async () => {
  const { gateway, auth } = setUp();
  gateway.answer = () => 'network';

  await assert.rejects(auth.request({ url: '/api/orders/1' }), (error) => {
    assert.equal(error.error, 'network_error');
    assert.equal(error.message, 'request:fail timeout');
    assert.equal(error.statusCode, undefined, 'no answer came');
    return true;
  });
});

test('the token goes to the gateway only, never to another host', async () => {
  const { gateway, wx, auth } = setUp();
  gateway.issue();
  wx.setStorageSync('wechat-auth-token', 't1');
  gateway.answer = () => ({ statusCode: 200, data: {} });

  await auth.request({ url: 'https://cdn.example/file.json' });
  await auth.request({ url: 'https://gw.example.evil/x' });
  await auth.request({ url: 'https://gw.example/api/x' });
  await auth.request({ url: 'api/relative' });

  assert.deepEqual(wx.calls.request.map((call) => [call.url, call.header.Authorization]), [
    ['https://cdn.example/file.json', undefined],
    ['https://gw.example.evil/x', undefined],
    ['https://gw.example/api/x', 'Bearer t1'],
    ['https://gw.example/api/relative', 'Bearer t1']
  ]);
});

test('a request without a url is a TypeError', async () => {
  const { auth } = setUp();
  await assert.rejects(auth.request({}), TypeError);
});

test('without a wx API the client cannot be made', () => {
  assert.throws(() => createAuthClient({ baseUrl: 'https://gw.example' }), /no wx API/);
});

test('in a mini-program the global wx is used', async () => {
  const gateway = new FakeGateway();
  globalThis.wx = fakeWx(gateway);
  try {
    const auth = createAuthClient({ baseUrl: 'https://gw.example' });

    const answer = await auth.request({ url: '/api/orders/1' });

    assert.equal(answer.statusCode, 200);
    assert.equal(globalThis.wx.calls.login, 1);
  } finally {
    delete globalThis.wx;
  }
});
