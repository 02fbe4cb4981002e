// PrivateFile: podtap's own files become 0600; a device node it writes to (`-w /dev/null`,
// `--report /dev/stdout`) keeps its mode. As root the old setPermissions() call chmodded
// /dev/null to 0600 and broke every other user of it (apt's gpgv among them).
#include "privatefile.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

class TestPrivateFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void regularFileBecomesOwnerOnly();
    void deviceNodeIsLeftAlone();
};

namespace {
mode_t modeOf(const char *path)
{
    struct stat st
    {
    };
    return ::stat(path, &st) == 0 ? (st.st_mode & 07777) : mode_t(-1);
}
} // namespace

void TestPrivateFile::regularFileBecomesOwnerOnly()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("capture.pcapng"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QVERIFY(f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner
                             | QFileDevice::ReadOther | QFileDevice::ReadGroup));
    QVERIFY(PrivateFile::restrict(f));
    QCOMPARE(modeOf(QFile::encodeName(path).constData()), mode_t(0600));
}

void TestPrivateFile::deviceNodeIsLeftAlone()
{
    const mode_t before = modeOf("/dev/null");
    QVERIFY(before != mode_t(-1));
    QFile f(QStringLiteral("/dev/null"));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QVERIFY(PrivateFile::restrict(f));
    QCOMPARE(modeOf("/dev/null"), before);
}

QTEST_GUILESS_MAIN(TestPrivateFile)
#include "tst_privatefile.moc"
