// docs/ipc.md against the typed IPC messages of common/ipc: every field a struct writes is
// documented for its method, and every field the docs list for it is one the struct knows.

#include "ipc/ipcerror.h"
#include "ipc/sessionreply.h"
#include "ipc/sessionstartrequest.h"
#include "ipc/sessionstoprequest.h"
#include "ipc/sessionsubscriberequest.h"
#include "ipc/sessionsummary.h"

#include <QFile>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace Qt::StringLiterals;
using podtap::SessionSummary;

namespace {

// Objects whose members are the user's (names, headers), not protocol fields.
const QSet<QString> Opaque{u"environment"_s, u"httpFilter"_s};

using Keys = QSet<QString>;

QString sorted(const Keys &keys)
{
    QStringList l(keys.begin(), keys.end());
    l.sort();
    return l.join(u", "_s);
}

// The fields a struct wrote, nested ones as "mirror.host".
void collect(const QJsonObject &o, const QString &prefix, Keys *out)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        out->insert(prefix + it.key());
        if (it.value().isObject() && !Opaque.contains(it.key()))
            collect(it.value().toObject(), prefix + it.key() + QLatin1Char('.'), out);
    }
}

// Only the top-level fields.
Keys topLevel(const QJsonObject &o)
{
    const QStringList k = o.keys();
    return Keys(k.begin(), k.end());
}

Keys written(const QJsonObject &o)
{
    Keys k;
    collect(o, {}, &k);
    return k;
}

// The docs write objects as `{a, b: value, c:{d, e}, f:[x]} (prose)`: a field is the name
// that starts each comma-separated item of a braced group; parenthesised text is prose.
QString withoutProse(const QString &text)
{
    QString out;
    int depth = 0;
    for (const QChar c : text) {
        if (c == u'(')
            ++depth;
        else if (c == u')' && depth > 0)
            --depth;
        else if (depth == 0)
            out += c;
    }
    return out;
}

void parseObject(const QString &body, const QString &prefix, Keys *out)
{
    QStringList items;
    QString item;
    int depth = 0;
    for (const QChar c : body) {
        if (c == u'{' || c == u'[')
            ++depth;
        else if (c == u'}' || c == u']')
            --depth;
        if (c == u',' && depth == 0) {
            items << item;
            item.clear();
        } else {
            item += c;
        }
    }
    items << item;
    static const QRegularExpression field(u"^\\s*\"?([A-Za-z]+)\"?\\s*(:\\s*(.*))?$"_s,
                                          QRegularExpression::DotMatchesEverythingOption);
    for (const QString &i : std::as_const(items)) {
        const auto m = field.match(i);
        if (!m.hasMatch())
            continue;
        const QString name = m.captured(1);
        out->insert(prefix + name);
        const QString value = m.captured(3).trimmed();
        if (value.startsWith(u'{') && !Opaque.contains(name)) {
            const qsizetype end = value.lastIndexOf(u'}');
            parseObject(value.mid(1, end - 1), prefix + name + QLatin1Char('.'), out);
        }
    }
}

// Every top-level {…} group of `text`.
Keys documented(const QString &text)
{
    const QString plain = withoutProse(QString(text).remove(u'`'));
    Keys keys;
    int depth = 0;
    qsizetype start = -1;
    for (qsizetype i = 0; i < plain.size(); ++i) {
        if (plain.at(i) == u'{' && depth++ == 0)
            start = i + 1;
        else if (plain.at(i) == u'}' && --depth == 0)
            parseObject(plain.mid(start, i - start), {}, &keys);
    }
    return keys;
}

} // namespace

class TestIpcDoc : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void requests_data();
    void requests();
    void sessionReplies();
    void summary();
    void errors();

private:
    // The table row of `method`: its params (column 1) or result (column 2).
    QString cell(const QString &method, int column) const;
    // The braced object after `lead` in the prose (it may span lines).
    QString paragraph(const QString &lead) const;

    QString m_doc;
};

void TestIpcDoc::initTestCase()
{
    QFile f(QStringLiteral(IPC_DOC));
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
    m_doc = QString::fromUtf8(f.readAll());
}

QString TestIpcDoc::cell(const QString &method, int column) const
{
    for (const QString &line : m_doc.split(u'\n')) {
        if (!line.startsWith(u"| `"_s + method + QLatin1Char('`')))
            continue;
        // Cells are split at "|" that is not escaped ("pcap\|pcapng").
        static const QRegularExpression bar(u"(?<!\\\\)\\|"_s);
        const QStringList cells = line.split(bar);
        return cells.value(1 + column);
    }
    return {};
}

QString TestIpcDoc::paragraph(const QString &lead) const
{
    const qsizetype at = m_doc.indexOf(lead);
    if (at < 0)
        return {};
    const qsizetype open = m_doc.indexOf(u'`', at + lead.size() - 1);
    const qsizetype close = m_doc.indexOf(u'`', open + 1);
    return QString(m_doc.mid(open, close - open + 1)).replace(u'\n', u' ');
}

void TestIpcDoc::requests_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<Keys>("fields");

    podtap::SessionStartRequest start;
    start.environment.insert(u"PATH"_s, u"/bin"_s);
    start.mirror.httpFilter = QJsonObject{{u"path"_s, u"^/api"_s}};
    QTest::addRow("session.start") << u"session.start"_s << written(start.toJson());
    QTest::addRow("session.stop") << u"session.stop"_s
                                  << written(podtap::SessionStopRequest{u"3"_s}.toJson());
    auto one = podtap::SessionSubscribeRequest::session(u"3"_s);
    one.pcap = true;
    one.pcapFormat = u"pcapng"_s;
    one.skipEvents = {u"http"_s};
    QTest::addRow("session.subscribe")
            << u"session.subscribe"_s
            << (written(one.toJson())
                + written(podtap::SessionSubscribeRequest::sessionList().toJson()));
}

void TestIpcDoc::requests()
{
    QFETCH(QString, method);
    QFETCH(Keys, fields);
    const QString params = cell(method, 1);
    QVERIFY2(!params.isEmpty(), qPrintable(u"docs/ipc.md has no row for "_s + method));
    const Keys docs = documented(params);
    QVERIFY2((fields - docs).isEmpty(),
             qPrintable(u"written by the struct but not documented: "_s + sorted(fields - docs)));
    QVERIFY2((docs - fields).isEmpty(),
             qPrintable(u"documented but unknown to the struct: "_s + sorted(docs - fields)));
}

void TestIpcDoc::sessionReplies()
{
    // Every result field of the session methods is one SessionReply knows, and each of
    // SessionReply's fields is a documented result of one of them.
    podtap::SessionReply all;
    all.session = SessionSummary{};
    all.live = true;
    all.stream = u"sessions"_s;
    all.sessions = QList<SessionSummary>{};
    all.stored = QList<SessionSummary>{};
    const Keys fields = topLevel(all.toJson());
    Keys docs;
    for (const QString &m : {u"session.start"_s, u"session.stop"_s, u"session.get"_s,
                             u"session.subscribe"_s, u"session.list"_s}) {
        const Keys r = documented(cell(m, 2));
        QVERIFY2(!r.isEmpty(), qPrintable(m));
        QVERIFY2((r - fields).isEmpty(),
                 qPrintable(m + u" documents what SessionReply lacks: "_s + sorted(r - fields)));
        docs += r;
    }
    // session.subscribe of "sessions" answers {stream, sessions} (in the text).
    QVERIFY((fields - docs - Keys{u"sessions"_s}).isEmpty());
    QVERIFY2(docs.contains(u"sessions"_s) && docs.contains(u"stored"_s), qPrintable(sorted(docs)));
    QVERIFY(cell(u"session.list"_s, 2).contains(u"diskBytes"_s));
}

void TestIpcDoc::summary()
{
    SessionSummary s;
    s.id = s.title = s.state = s.reason = s.context = s.ns = s.target = u"x"_s;
    s.port = 1;
    s.isProtected = true;
    s.packets = s.bytes = 1;
    Keys fields = written(s.toJson());
    const QString text = paragraph(u"A session summary: `"_s);
    QVERIFY2(!text.isEmpty(), "no session summary in docs/ipc.md");
    const Keys docs = documented(text);
    QVERIFY2((fields - docs).isEmpty(),
             qPrintable(u"typed in SessionSummary but not documented: "_s + sorted(fields - docs)));
}

void TestIpcDoc::errors()
{
    const podtap::IpcError e{u"c"_s, u"m"_s, u"ctx"_s, u"ns"_s, u"t"_s};
    const Keys fields = written(e.toJson());
    const Keys docs = documented(paragraph(u"An error object: `"_s));
    QCOMPARE(sorted(docs), sorted(fields));
    // The codes clients act on are in the list of error codes.
    const QString codes = m_doc.mid(m_doc.indexOf(u"Error codes:"_s), 400);
    for (const QString &code :
         {podtap::IpcError::Invalid, podtap::IpcError::NotFound, podtap::IpcError::ProtectedContext,
          podtap::IpcError::TooLarge, podtap::IpcError::BadRequest})
        QVERIFY2(codes.contains(QLatin1Char('`') + code + QLatin1Char('`')), qPrintable(code));
}

QTEST_GUILESS_MAIN(TestIpcDoc)
#include "tst_ipcdoc.moc"
